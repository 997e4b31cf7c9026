// @vitest-environment node
// Refusals sent before the body is read must still reach the client: the server reads and
// discards the rest (lingering close) instead of resetting the connection under a client that is
// still writing, which would see EPIPE/ECONNRESET and retry the batch for ever.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, lines, serve, tempDir } from './harness.js';

afterEach(cleanup);

const SIX_MIB = 6 * 2 ** 20;

interface Outcome {
  status: number;
  body: string;
}

/**
 * POSTs `size` bytes in 64 KiB writes with Node's http client; resolves with the answer, rejects on
 * a socket error (EPIPE, ECONNRESET) before it. Node's client drops the rest of the body itself once
 * an answer with `Connection: close` has ended.
 */
function postLarge(
  url: string,
  size: number,
  headers: Record<string, string> = {},
  chunked = false,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/ingest`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(chunked ? {} : { 'Content-Length': size }),
        ...headers,
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    const chunk = Buffer.alloc(65_536, 0x20);
    let left = size;
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(chunk.subarray(0, n))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

/**
 * Sends the request whole before reading anything, as many clients do with an upload: without a
 * lingering close the server's reset reaches it while it writes (EPIPE) and the 413 is lost.
 */
function postThenRead(port: number, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
    socket.write(
      `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(size, 0x20), () => socket.resume());
  });
}

describe('readable refusals (lingering close)', () => {
  it('answers a 6 MiB body with a readable 413 to a client that reads only after sending', async () => {
    const server = await serve();
    for (let i = 0; i < 3; i++) {
      const answer = await postThenRead(server.port, SIX_MIB);
      expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer.endsWith(JSON.stringify({ error: 'body exceeds 1048576 bytes' }))).toBe(true);
    }
  });

  it('answers a 6 MiB body with a readable 413 for Node, every time', async () => {
    const server = await serve();
    for (let i = 0; i < 5; i++) {
      expect(await postLarge(server.url, SIX_MIB)).toEqual({
        status: 413,
        body: JSON.stringify({ error: 'body exceeds 1048576 bytes' }),
      });
    }
  });

  it('answers a chunked body that grows past the limit with a readable 413', async () => {
    const server = await serve({ maxBodyBytes: 100_000 });
    const outcome = await postLarge(server.url, 2 * 2 ** 20, {}, true);
    expect(outcome).toEqual({ status: 413, body: JSON.stringify({ error: 'body exceeds 100000 bytes' }) });
  });

  it('answers a wrong header token on a large body with a readable 401, storing nothing', async () => {
    const server = await serve({ token: 'right' });
    const outcome = await postLarge(server.url, SIX_MIB, { 'X-Telemetry-Token': 'wrong' });
    expect(outcome).toEqual({ status: 401, body: JSON.stringify({ error: 'invalid token' }) });
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('stops discarding at the bound and closes the connection', async () => {
    const server = await serve({ maxBodyBytes: 1000 });
    // Far past the discard bound (16 MiB): the server closes; the client may see the answer or a reset.
    const outcome = await postLarge(server.url, 40 * 2 ** 20).catch(
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect([expect.objectContaining({ status: 413 }), 'ECONNRESET', 'EPIPE']).toContainEqual(outcome);
  });

  it('answers a 6 MiB body with a readable 413 for curl', async (context) => {
    const curl = await promisify(execFile)('curl', ['--version']).catch(() => undefined);
    if (!curl) return context.skip();
    const server = await serve();
    const file = join(await tempDir(), 'big.json');
    await writeFile(file, Buffer.alloc(SIX_MIB, 0x20));
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      `@${file}`,
      '-w',
      '\n%{http_code}',
      `${server.url}/ingest`,
    ]);
    expect(stdout).toBe(`${JSON.stringify({ error: 'body exceeds 1048576 bytes' })}\n413`);
  });
});
