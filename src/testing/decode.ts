/**
 * One telemetry request body (bytes, maybe gzip) → its records, whatever the format: told apart by
 * content (OTLP's `resource*` arrays, PostHog's `batch`, else native), so a proxy path or a custom
 * endpoint decodes as well as the default ones.
 */
import { gunzip, isGzip } from './gunzip.js';
import { decodeNative, isNativeBody } from './native-decode.js';
import { decodeOtlp, isOtlpBody } from './otlp-decode.js';
import { decodePosthog, isPosthogBody } from './posthog-decode.js';
import type { DecodedBody } from './records.js';

/** The records of a parsed JSON body, or undefined when it is none of the known formats. */
export function decodeJson(json: unknown, text = JSON.stringify(json)): DecodedBody | undefined {
  if (isOtlpBody(json)) return decodeOtlp(json, text);
  if (isPosthogBody(json)) return decodePosthog(json);
  if (isNativeBody(json)) return decodeNative(json);
  return undefined;
}

/** A body after gunzip and JSON parsing, with its records. */
export interface DecodedRequestBody {
  encoding?: 'gzip';
  text: string;
  json: unknown;
  decoded?: DecodedBody;
  error?: string;
}

/**
 * Decodes a request body. gzip is recognised by `contentEncoding` or by the magic bytes (a proxy may
 * drop the header). Never throws: what cannot be decoded is reported in `error`.
 */
export async function decodeBytes(
  bytes: Uint8Array,
  contentEncoding?: string | null,
): Promise<DecodedRequestBody> {
  const gzipped = /\bgzip\b/i.test(contentEncoding ?? '') || isGzip(bytes);
  const out: DecodedRequestBody = { text: '', json: undefined, ...(gzipped ? { encoding: 'gzip' } : {}) };
  try {
    out.text = new TextDecoder().decode(gzipped ? await gunzip(bytes) : bytes);
  } catch (error) {
    out.error = `gunzip failed: ${String(error)}`;
    return out;
  }
  try {
    out.json = JSON.parse(out.text);
  } catch (error) {
    out.error = `not JSON: ${String(error)}`;
    return out;
  }
  const decoded = decodeJson(out.json, out.text);
  if (decoded) out.decoded = decoded;
  else out.error = 'not a native, OTLP or PostHog body';
  return out;
}
