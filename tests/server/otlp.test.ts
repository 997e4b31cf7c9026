// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { otlpEncoder } from '../../src/telemetry/encoders/otlp.js';
import { cleanup, items, lines, NOW, post, serve } from './harness.js';

afterEach(cleanup);

const NS = '1773576000000000000'; // NOW in nanoseconds, as a decimal string

function logsRequest(record: Record<string, unknown>): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'quiz' } }] },
        scopeLogs: [{ scope: { name: 'ui' }, logRecords: [record] }],
      },
    ],
  };
}

describe('OTLP/HTTP JSON in', () => {
  it('refuses protobuf bodies with a clear 415', async () => {
    const server = await serve();
    const res = await post(server.url, 'binary', {
      path: '/v1/traces',
      headers: { 'Content-Type': 'application/x-protobuf' },
    });
    expect([res.status, await res.json()]).toEqual([
      415,
      {
        error: 'OTLP/HTTP protobuf is not supported: send OTLP/HTTP JSON with Content-Type application/json',
      },
    ]);
  });

  it('accepts int64 as strings or numbers and every AnyValue kind', async () => {
    const server = await serve();
    const attributes = [
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'small', value: { intValue: 5 } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 1.5 }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
    ];
    const a = await post(
      server.url,
      logsRequest({ timeUnixNano: NS, severityNumber: 9, body: { stringValue: 'x' }, attributes }),
      {
        path: '/v1/logs',
      },
    );
    const b = await post(
      server.url,
      logsRequest({ timeUnixNano: Number(NS), severityText: 'debug', body: { intValue: '7' } }),
      {
        path: '/v1/logs',
      },
    );
    expect([a.status, await a.json(), b.status]).toEqual([200, {}, 200]);
    const [first, second] = await items(server.dataDir, 'logs');
    expect(first).toMatchObject({
      timestamp: NOW,
      level: 'info',
      message: 'x',
      context: { big: '9007199254740993', small: 5, list: ['a', 1.5], map: { k: false } },
      resource: { 'service.name': 'quiz' },
      scope: { name: 'ui' },
    });
    expect(second).toMatchObject({ timestamp: NOW, level: 'debug', message: '7' });
  });

  it("stores the client OTLP encoder's drop gauge as drop points, as from a native envelope", async () => {
    const server = await serve();
    const [request] = otlpEncoder({ endpoint: server.url }).encode(
      {
        batchId: 'b1',
        batch: {
          sessionId: 's1',
          resource: { app: 'quiz', version: '1.0.0' },
          logs: [],
          traces: [],
          metrics: [],
          dropped: { queue_full: 3 },
        },
      },
      { sentAt: NOW },
    );
    const res = await post(server.url, JSON.parse(request!.body) as Record<string, unknown>, {
      path: '/v1/metrics',
    });
    expect(res.status).toBe(200);
    expect(await items(server.dataDir, 'metrics')).toMatchObject([
      { name: 'telemetry_dropped', value: 3, labels: { reason: 'queue_full' } },
    ]);
  });

  it('refuses base64 ids with 400 naming the field', async () => {
    const server = await serve();
    const span = {
      traceId: 'q83vEjRWeJCrze8SNFZ4kA==',
      spanId: 'EjRWeJCrze8=',
      name: 's',
      startTimeUnixNano: NS,
      endTimeUnixNano: NS,
    };
    const res = await post(
      server.url,
      { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] },
      { path: '/v1/traces' },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId must be hex (OTLP/JSON encodes ids as hex, not base64)',
    );
    expect(await lines(server.dataDir, 'traces')).toEqual([]);
  });

  it('dedupes a resent request that carries X-Batch-Id', async () => {
    const server = await serve();
    const body = logsRequest({ timeUnixNano: NS, severityNumber: 13, body: { stringValue: 'once' } });
    const init = { path: '/v1/logs', headers: { 'X-Batch-Id': 'otlp-batch-1' } };
    expect((await post(server.url, body, init)).status).toBe(200);
    expect((await post(server.url, body, init)).status).toBe(200);
    expect((await post(server.url, body, { path: '/v1/logs' })).status).toBe(200);
    const stored = await items(server.dataDir, 'logs');
    expect(stored.map((s) => s.batch_id)).toEqual([
      'otlp-batch-1',
      expect.stringMatching(/^otlp-[0-9a-f-]{36}$/),
    ]);
  });

  it('needs the token in the header when auth is on', async () => {
    const server = await serve({ token: 't' });
    const body = { ...logsRequest({ body: { stringValue: 'm' } }), token: 't' };
    expect((await post(server.url, body, { path: '/v1/logs' })).status).toBe(401);
    expect(
      (await post(server.url, body, { path: '/v1/logs', headers: { 'X-Telemetry-Token': 't' } })).status,
    ).toBe(200);
  });
});
