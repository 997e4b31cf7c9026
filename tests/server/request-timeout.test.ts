// @vitest-environment node
// A request that stalls or trickles past requestTimeoutMs is answered 408 and its socket closed;
// a slow one that makes it in time is stored as usual.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/server/index.js';
import { batch, cleanup, lines, serve } from './harness.js';

afterEach(cleanup);

/** Sends `parts` on a raw socket, `gapMs` apart; resolves with what came back when the socket closed. */
function trickle(port: number, parts: string[], gapMs: number): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      // A keep-alive answer does not close the socket: its end is the answer's end here.
      if (/\r\n\r\n\{.*\}$/s.test(answer)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, ms: performance.now() - started }));
    let i = 0;
    const next = (): void => {
      if (socket.destroyed || i >= parts.length) return;
      socket.write(parts[i++]!);
      setTimeout(next, gapMs);
    };
    next();
  });
}

function request(body: string, declaredLength = Buffer.byteLength(body)): string {
  return `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${body}`;
}

describe('requestTimeoutMs', () => {
  it('answers 408 to a body that stops arriving, and stores nothing', async () => {
    const server = await serve({ requestTimeoutMs: 300 });
    const body = JSON.stringify(batch('stalled'));
    const { answer, ms } = await trickle(server.port, [request(body.slice(0, 40), body.length)], 50);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(2000);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('stores a body trickled in pieces that arrives within the deadline', async () => {
    const server = await serve({ requestTimeoutMs: 2000 });
    const text = request(JSON.stringify(batch('slow')));
    const parts = Array.from({ length: 6 }, (_, i) =>
      text.slice((i * text.length) / 6, ((i + 1) * text.length) / 6),
    );
    const { answer } = await trickle(server.port, parts, 40);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
  });

  it('defaults to 30 s, far below the 5 minutes of node:http', () => {
    expect(resolveOptions().requestTimeoutMs).toBe(30_000);
    expect(() => resolveOptions({ requestTimeoutMs: 0 })).toThrow('requestTimeoutMs must be an integer >= 1');
  });
});
