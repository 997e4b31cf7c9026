import { describe, expect, it } from 'vitest';
import { encodeNative } from '../../../src/telemetry/encoders/native.js';
import { nativeEncoder } from '../../../src/telemetry/encoders/native-encoder.js';
import { emptyItems } from '../../../src/telemetry/records.js';
import { mixedBatch, RESOURCE, SESSION, T0 } from './fixtures.js';

describe('nativeEncoder', () => {
  const encoder = nativeEncoder({ endpoint: '/ingest' });
  const ctx = { sentAt: T0, token: 'tok' };

  it('one request with the token in a header, the body as encodeNative makes it', () => {
    expect(encoder.encode(mixedBatch(), ctx)).toEqual([
      {
        url: '/ingest',
        body: encodeNative(mixedBatch(), { sentAt: T0 }),
        contentType: 'application/json',
        headers: { 'X-Telemetry-Token': 'tok' },
        kinds: ['logs', 'traces', 'metrics'],
        count: 11,
      },
    ]);
  });

  it('while unloading: token in the body, text/plain, no header (no preflight)', () => {
    const [request] = encoder.encode(mixedBatch(), { ...ctx, unloading: true });
    expect(request!.headers).toEqual({});
    expect(request!.contentType).toBe('text/plain;charset=UTF-8');
    expect(JSON.parse(request!.body)).toMatchObject({ token: 'tok' });
  });

  it('nothing for an empty batch', () => {
    expect(
      encoder.encode(
        { batchId: 'e', batch: { sessionId: SESSION, resource: RESOURCE, ...emptyItems() } },
        ctx,
      ),
    ).toEqual([]);
  });
});
