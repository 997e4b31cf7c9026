// @vitest-environment node
// A compressed body is inflated as it arrives and stopped at maxBodyBytes of output: a gzip bomb is
// answered 413 without inflating the rest of it, and without waiting for the rest of its upload.
import { request } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { batch, cleanup, items, serve } from './harness.js';

afterEach(cleanup);

const MIB = 2 ** 20;
// gzip of 64 MiB of spaces is ~64 KiB; gzip members may follow one another in one stream.
const MEMBER = gzipSync(Buffer.alloc(64 * MIB, 0x20));

describe('gzip bombs', () => {
  it('answers a ~900 MiB bomb in under 1 MiB of wire with 413, inflating only what the limit needs', async () => {
    const server = await serve();
    const bomb = Buffer.concat(Array.from({ length: 14 }, () => MEMBER));
    expect(bomb.length).toBeLessThan(MIB);
    const started = performance.now();
    const res = await fetch(`${server.url}/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: bomb,
    });
    expect([res.status, await res.json()]).toEqual([
      413,
      { error: `decompressed body exceeds ${MIB} bytes` },
    ]);
    // Inflating it all takes seconds; the first MiB takes milliseconds.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('answers 413 while the bomb is still being uploaded, not after its end', async () => {
    const server = await serve();
    const outcome = await new Promise<{ status: number; body: string; ended: boolean }>((resolve, reject) => {
      let ended = false;
      const req = request(`${server.url}/ingest`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ended }));
      });
      // The first member (64 MiB inflated) is sent; the rest of the body never comes unless the
      // server waits for it, in which case the test ends the request after 2 s.
      req.write(MEMBER);
      setTimeout(() => {
        ended = true;
        req.end();
      }, 2000).unref();
    });
    expect(outcome).toEqual({
      status: 413,
      body: JSON.stringify({ error: `decompressed body exceeds ${MIB} bytes` }),
      ended: false,
    });
  });

  it('still stores gzip and deflate bodies, and refuses a cut or non-gzip body with 400', async () => {
    const server = await serve();
    const send = (body: Uint8Array, encoding: string) =>
      fetch(`${server.url}/ingest`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body: new Uint8Array(body),
      });
    expect((await send(gzipSync(JSON.stringify(batch('g1'))), 'gzip')).status).toBe(200);
    expect((await send(deflateSync(JSON.stringify(batch('d1'))), 'deflate')).status).toBe(200);
    const cut = gzipSync(JSON.stringify(batch('cut')));
    const refused = await send(cut.subarray(0, cut.length - 10), 'gzip');
    expect([refused.status, await refused.json()]).toEqual([
      400,
      { error: 'invalid gzip body: unexpected end of file' },
    ]);
    const plain = await send(Buffer.from(JSON.stringify(batch('plain'))), 'gzip');
    expect(plain.status).toBe(400);
    expect((await items(server.dataDir, 'logs')).map((l) => l.batch_id)).toEqual(['g1', 'd1']);
  });
});
