/**
 * `pwa-telemetry/otlp`: the client's OTLP/HTTP JSON encoder, one request per kind to
 * `<endpoint>/v1/logs|traces|metrics`. Its own entry point, so apps that send the native format
 * ship none of it.
 */
import { KINDS, type MetricRecord } from '../records.js';
import type { EncodableBatch, EncodeContext, EncodedRequest, Encoder } from './encoder.js';
import { OTLP_PATHS, otlpEnvelope, otlpResource } from './otlp-map.js';

export type { EncodableBatch, EncodeContext, EncodedRequest, Encoder } from './encoder.js';
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

/** Gauge of events the client dropped before a batch, with a `reason` attribute. */
export const DROPPED_METRIC = 'pwa_telemetry.dropped';

export function otlpEncoder({ endpoint, headers = {} }: OtlpEncoderOptions): Encoder {
  const base = endpoint.replace(/\/+$/, '');
  return {
    format: 'otlp',
    encode({ batch }: EncodableBatch, context: EncodeContext): EncodedRequest[] {
      // What the client dropped before this batch travels as a gauge per reason, so the loss is
      // visible in the backend too (the native format has a field for it).
      const drops: MetricRecord[] = Object.entries(batch.dropped ?? {}).map(([reason, value]) => ({
        timestamp: context.sentAt,
        name: DROPPED_METRIC,
        value,
        labels: { reason },
      }));
      const resource = otlpResource(batch.resource, batch.sessionId, batch.anonymousId);
      const requestHeaders: Record<string, string> = context.unloading ? {} : { ...headers };
      // The collector's bearertokenauth extension reads `Authorization: Bearer <token>`.
      if (context.token && !context.unloading) requestHeaders.Authorization = `Bearer ${context.token}`;
      const requests: EncodedRequest[] = [];
      for (const kind of KINDS) {
        const items = kind === 'metrics' && drops.length ? [...batch.metrics, ...drops] : batch[kind];
        const body = otlpEnvelope(kind, [{ resource, items }]);
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
