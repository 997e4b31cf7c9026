/**
 * The native format behind the `Encoder` interface, doing exactly what the sender does today, so the
 * sender can treat every format alike: one request to the endpoint; the token in `X-Telemetry-Token`,
 * or in the body with a CORS-safelisted content type while unloading (no preflight).
 */
import { KINDS } from '../records.js';
import type { EncodableBatch, EncodeContext, EncodedRequest, Encoder } from './encoder.js';
import { encodeNative } from './native.js';

export function nativeEncoder({ endpoint }: { endpoint: string }): Encoder {
  return {
    format: 'native',
    encode(entry: EncodableBatch, { sentAt, token, unloading = false }: EncodeContext): EncodedRequest[] {
      const { batch } = entry;
      const count = batch.logs.length + batch.traces.length + batch.metrics.length;
      if (count === 0) return [];
      return [
        {
          url: endpoint,
          body: encodeNative(entry, { sentAt, token: unloading ? token : undefined }),
          contentType: unloading ? 'text/plain;charset=UTF-8' : 'application/json',
          headers: !unloading && token ? { 'X-Telemetry-Token': token } : {},
          kinds: KINDS.filter((kind) => batch[kind].length > 0),
          count,
        },
      ];
    },
  };
}
