// @vitest-environment node
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { batch, cleanup, items, lines, NOW, post, serve } from './harness.js';

afterEach(cleanup);

describe('storing', () => {
  it('writes each item as one line with batch_id, session_id, received_at and the batch’s resource', async () => {
    const server = await serve();
    const res = await post(server.url, batch('batch-1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', received: { logs: 1, traces: 1, metrics: 1 } });

    const received = {
      batch_id: 'batch-1',
      session_id: 'session-1',
      anonymous_id: null,
      received_at: new Date(NOW).toISOString(),
      resource: { app: 'quiz', version: '1.0.0' },
    };
    expect(await items(server.dataDir, 'logs')).toEqual([
      { timestamp: NOW, level: 'info', message: 'Quiz started', context: { topic: 'Math' }, ...received },
    ]);
    expect(await items(server.dataDir, 'traces')).toEqual([
      {
        timestamp: NOW,
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        name: 'load',
        duration: 12,
        attributes: {},
        ...received,
      },
    ]);
    expect(await items(server.dataDir, 'metrics')).toEqual([
      { timestamp: NOW, name: 'LCP', value: 1234.5, labels: {}, ...received },
    ]);
  });

  it('accepts the native format on /, /ingest and /v1/telemetry', async () => {
    const server = await serve();
    for (const [i, path] of ['/', '/ingest', '/v1/telemetry'].entries()) {
      expect((await post(server.url, batch(`b${i}`), { path })).status).toBe(200);
    }
    expect(await lines(server.dataDir, 'logs')).toHaveLength(3);
  });

  it('stores session_id null when the body has no session', async () => {
    const server = await serve();
    await post(server.url, batch('no-session', { session: undefined }));
    expect((await items(server.dataDir, 'logs'))[0]).toMatchObject({ session_id: null });
  });

  it('acknowledges a batch with no items and writes no file', async () => {
    const server = await serve();
    const res = await post(server.url, { batchId: 'empty', logs: [], traces: [], metrics: [] });
    expect(await res.json()).toEqual({ status: 'ok', received: { logs: 0, traces: 0, metrics: 0 } });
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('answers 500 when a write fails, and a resend stores only what was missing', async () => {
    const server = await serve();
    // A plain file where the metrics directory should be makes the metrics write fail.
    await writeFile(join(server.dataDir, 'metrics'), 'in the way');
    const failed = await post(server.url, batch('b1'));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'could not store the batch' });

    await rm(join(server.dataDir, 'metrics'));
    const retried = await post(server.url, batch('b1'));
    expect(retried.status).toBe(200);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
    expect(await lines(server.dataDir, 'traces')).toHaveLength(1);
    expect(await lines(server.dataDir, 'metrics')).toHaveLength(1);
  });
});

describe('CORS and routing', () => {
  it('answers a preflight with 204 and the allowed methods and headers', async () => {
    const server = await serve({ corsOrigin: 'https://app.example' });
    const res = await fetch(`${server.url}/ingest`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Content-Type, Content-Encoding, X-Telemetry-Token, X-Batch-Id',
    );
    expect(res.headers.get('access-control-max-age')).toBe('86400');
  });

  it('puts the CORS headers on errors too, exposing Retry-After', async () => {
    const server = await serve();
    const res = await post(server.url, 'not json');
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After');
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    const server = await serve();
    const res = await fetch(`${server.url}/ingest`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await res.json()).toEqual({ error: 'method GET not allowed' });
  });

  it('answers GET /health with ok and 404 for unknown paths', async () => {
    const server = await serve();
    const health = await fetch(`${server.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const missing = await post(server.url, batch('x'), { path: '/nope' });
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'no route for /nope' }]);
  });
});

describe('auth', () => {
  it('refuses a missing token and a wrong one with 401, storing nothing', async () => {
    const server = await serve({ token: 's3cret' });
    const missing = await post(server.url, batch('b1'));
    expect([missing.status, await missing.json()]).toEqual([401, { error: 'missing token' }]);
    const wrong = await post(server.url, batch('b1'), { headers: { 'X-Telemetry-Token': 's3cre' } });
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'invalid token' }]);
    const wrongInBody = await post(server.url, batch('b1', { token: 'nope' }));
    expect([wrongInBody.status, await wrongInBody.json()]).toEqual([401, { error: 'invalid token' }]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('accepts the token in the X-Telemetry-Token header', async () => {
    const server = await serve({ token: 's3cret' });
    const res = await post(server.url, batch('b1'), { headers: { 'X-Telemetry-Token': 's3cret' } });
    expect(res.status).toBe(200);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
  });

  it('accepts the token in a text/plain body, as unload sends carry it, and does not store it', async () => {
    const server = await serve({ token: 's3cret' });
    const res = await post(server.url, batch('b1', { token: 's3cret' }), {
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    });
    expect(res.status).toBe(200);
    for (const kind of ['logs', 'traces', 'metrics'] as const) {
      const stored = await lines(server.dataDir, kind);
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toContain('s3cret');
    }
  });
});

describe('bodies', () => {
  it('refuses bad JSON with 400 and the parser message', async () => {
    const server = await serve();
    const res = await post(server.url, '{"batchId": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^invalid JSON: /);
  });

  it('refuses a bad shape with 400 and the validator reason', async () => {
    const server = await serve();
    const body = batch('b1', {
      logs: [
        { level: 'info', message: 'ok' },
        { level: 'fatal', message: 'x' },
      ],
    });
    const res = await post(server.url, body);
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'logs[1].level must be one of debug, info, warn, error' },
    ]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('accepts gzip and deflate bodies', async () => {
    const server = await serve();
    const gz = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify(batch('gz'))),
    });
    const df = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' },
      body: deflateSync(JSON.stringify(batch('df'))),
    });
    expect([gz.status, df.status]).toEqual([200, 200]);
    expect((await items(server.dataDir, 'logs')).map((i) => i.batch_id)).toEqual(['gz', 'df']);
  });

  it('refuses a body that says gzip but is not with 400', async () => {
    const server = await serve();
    const res = await post(server.url, batch('b1'), { headers: { 'Content-Encoding': 'gzip' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^invalid gzip body: /);
  });

  it('refuses an unknown Content-Encoding or Content-Type with 415', async () => {
    const server = await serve();
    const br = await post(server.url, batch('b1'), { headers: { 'Content-Encoding': 'br' } });
    expect([br.status, await br.json()]).toEqual([
      415,
      { error: 'Content-Encoding must be gzip, deflate or identity, got "br"' },
    ]);
    const xml = await post(server.url, batch('b1'), { headers: { 'Content-Type': 'application/xml' } });
    expect([xml.status, await xml.json()]).toEqual([
      415,
      { error: 'Content-Type must be application/json or text/plain, got "application/xml"' },
    ]);
  });

  it('refuses a body over maxBodyBytes with 413', async () => {
    const server = await serve({ maxBodyBytes: 1000 });
    const res = await post(server.url, batch('b1', { pad: 'x'.repeat(1000) }));
    expect([res.status, await res.json()]).toEqual([413, { error: 'body exceeds 1000 bytes' }]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('stops reading a streamed body once it passes the limit', async () => {
    const server = await serve({ maxBodyBytes: 1000 });
    // An endless body: only a server that stops reading can answer it.
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(16_384).fill(0x20)),
    });
    const res = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    expect([res.status, await res.json()]).toEqual([413, { error: 'body exceeds 1000 bytes' }]);
  });

  it('counts the decompressed size against maxBodyBytes', async () => {
    const server = await serve({ maxBodyBytes: 10_000 });
    const body = gzipSync(JSON.stringify(batch('bomb', { pad: ' '.repeat(100_000) })));
    expect(body.length).toBeLessThan(10_000);
    const res = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body,
    });
    expect([res.status, await res.json()]).toEqual([413, { error: 'decompressed body exceeds 10000 bytes' }]);
  });
});
