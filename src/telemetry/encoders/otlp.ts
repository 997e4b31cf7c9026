/**
 * `pwa-telemetry/otlp`: the client's OTLP/HTTP JSON encoder, one request per kind to
 * `<endpoint>/v1/logs|traces|metrics`. Its own entry point, so apps that send the native format
 * ship none of it.
 */
import { KINDS, type Batch } from '../records.js';
import type { EncodeContext, EncodedRequest, Encoder } from './encoder.js';
import { OTLP_PATHS, otlpEnvelope, otlpResource } from './otlp-map.js';

export type { EncodeContext, EncodedRequest, Encoder } from './encoder.js';
export {
  OTLP_PATHS,
  SCOPE,
  anyValue,
  nanos,
  otlpEnvelope,
  otlpLog,
  otlpMetrics,
  otlpResource,
  otlpSpan,
} from './otlp-map.js';

export interface OtlpEncoderOptions {
  /** The collector's base URL, e.g. `https://collector.example.com` (paths are appended). */
  endpoint: string;
  /** Static headers for every request (not sent while unloading, where they would need a preflight). */
  headers?: Record<string, string>;
}

export function otlpEncoder({ endpoint, headers = {} }: OtlpEncoderOptions): Encoder {
  const base = endpoint.replace(/\/+$/, '');
  return {
    format: 'otlp',
    encode(batch: Batch, context: EncodeContext): EncodedRequest[] {
      const resource = otlpResource(context.resource, context.sessionId ?? batch.sessionId);
      const requestHeaders: Record<string, string> = context.unloading ? {} : { ...headers };
      // The collector's bearertokenauth extension reads `Authorization: Bearer <token>`.
      if (context.token && !context.unloading) requestHeaders.Authorization = `Bearer ${context.token}`;
      const requests: EncodedRequest[] = [];
      for (const kind of KINDS) {
        const body = otlpEnvelope(kind, [{ resource, items: batch[kind] }]);
        if (!body) continue;
        requests.push({
          url: `${base}${OTLP_PATHS[kind]}`,
          body: JSON.stringify(body),
          headers: requestHeaders,
          // The OTLP receiver answers 415 to anything else; a cross-origin collector therefore always
          // needs a preflight: serve it from the app's origin (README, "Beyond one machine").
          contentType: 'application/json',
          kinds: [kind],
          count: batch[kind].length,
        });
      }
      return requests;
    },
  };
}
