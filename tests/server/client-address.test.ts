// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, defaultOptions, parseServeArgs } from '../../src/server/index.js';
import { batch, cleanup, post, serve } from './harness.js';

afterEach(cleanup);

/** A server allowing one request per address and 100 s, trusting `trustProxy` (a `--trust-proxy` value). */
async function limited(trustProxy?: string) {
  const args = ['--rate-limit', '1/100', ...(trustProxy ? ['--trust-proxy', trustProxy] : [])];
  const { rateLimit, trustProxy: trust } = parseServeArgs(args, {});
  return serve({ rateLimit, trustProxy: trust });
}

const send = (url: string, id: string, headers: Record<string, string> = {}) =>
  post(url, batch(id), { headers }).then((r) => r.status);

describe('--trust-proxy and the client address', () => {
  it('ignores Forwarded and X-Forwarded-For from a peer that is not trusted', async () => {
    const server = await limited();
    expect(await send(server.url, 'a', { 'X-Forwarded-For': '203.0.113.1' })).toBe(200);
    // A different claimed address does not buy a new budget.
    expect(await send(server.url, 'b', { 'X-Forwarded-For': '203.0.113.2' })).toBe(429);
    expect(await send(server.url, 'c', { Forwarded: 'for=203.0.113.3' })).toBe(429);
  });

  it('keys on the X-Forwarded-For address when the request comes from a trusted proxy', async () => {
    const server = await limited('loopback');
    expect(await send(server.url, 'a', { 'X-Forwarded-For': '203.0.113.1' })).toBe(200);
    expect(await send(server.url, 'b', { 'X-Forwarded-For': '203.0.113.2' })).toBe(200);
    expect(await send(server.url, 'c', { 'X-Forwarded-For': '203.0.113.1' })).toBe(429);
    // What the client wrote left of the proxy's entry proves nothing: the rightmost untrusted hop counts.
    expect(await send(server.url, 'd', { 'X-Forwarded-For': '198.51.100.9, 203.0.113.2' })).toBe(429);
  });

  it('reads RFC 7239 Forwarded, with quotes, IPv6 brackets and ports', async () => {
    const server = await limited('127.0.0.1');
    const v6 = { Forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https' };
    expect(await send(server.url, 'a', v6)).toBe(200);
    expect(await send(server.url, 'b', { Forwarded: 'For="[2001:DB8:CAFE::17]"' })).toBe(429);
    expect(await send(server.url, 'c', { Forwarded: 'for=192.0.2.60:8080, for=127.0.0.1' })).toBe(200);
    expect(await send(server.url, 'd', { Forwarded: 'for=192.0.2.60' })).toBe(429);
  });

  it('uses the socket address when a trusted proxy sends no header', async () => {
    const server = await limited('loopback');
    expect(await send(server.url, 'a')).toBe(200);
    expect(await send(server.url, 'b')).toBe(429);
  });

  it('refuses a --trust-proxy value that is not addresses or loopback', () => {
    expect(() => parseServeArgs(['--trust-proxy', '10.0.0.0/8'], {})).toThrow(
      '--trust-proxy must be IP addresses or loopback, comma-separated, got "10.0.0.0/8"',
    );
  });
});

describe('--rate-limit', () => {
  it('parses <requests>/<seconds> and off, and refuses anything else', () => {
    expect(parseServeArgs(['--rate-limit', '50/5'], {}).rateLimit).toEqual({ requests: 50, perMs: 5000 });
    expect(parseServeArgs(['--rate-limit=off'], {}).rateLimit).toBe('off');
    expect(parseServeArgs([], { TELEMETRY_RATE_LIMIT: '10/1' }).rateLimit).toEqual({
      requests: 10,
      perMs: 1000,
    });
    expect(() => parseServeArgs(['--rate-limit', '100'], {})).toThrow(
      '--rate-limit must be <requests>/<seconds> (e.g. 1200/10) or off, got "100"',
    );
  });

  it('off lets any number of requests through', async () => {
    const server = await serve({ rateLimit: 'off' });
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => send(server.url, `b${i}`)));
    expect(statuses).toEqual(Array(30).fill(200));
  });

  it('by default lets 1,000 browsers behind one address flush together, every 30 s, for ten minutes', () => {
    const { rateLimit } = defaultOptions();
    if (rateLimit === 'off') throw new Error('the default must limit');
    let now = 0;
    const limiter = createRateLimiter(rateLimit, () => now);
    const refused: number[] = [];
    // The worst case for a bucket: every browser's timer fires in the same instant.
    for (now = 0; now <= 600_000; now += 30_000) {
      for (let browser = 0; browser < 1000; browser++)
        if (limiter.take('203.0.113.1 token') > 0) refused.push(now);
    }
    expect(refused).toEqual([]);
    // A client stuck in a loop is still stopped.
    let loop = 0;
    while (limiter.take('203.0.113.9 token') === 0 && loop < 10_000) loop++;
    expect(loop).toBe(1200);
  });

  it('keeps requests with the valid token apart from the rest of the same address', async () => {
    const { rateLimit } = parseServeArgs(['--rate-limit', '1/100'], {});
    const server = await serve({ rateLimit, token: 'secret' });
    expect(await send(server.url, 'x', { 'X-Telemetry-Token': 'wrong' })).toBe(401);
    expect(await send(server.url, 'y', { 'X-Telemetry-Token': 'wrong' })).toBe(429);
    expect(await send(server.url, 'a', { 'X-Telemetry-Token': 'secret' })).toBe(200);
    expect(await send(server.url, 'b', { 'X-Telemetry-Token': 'secret' })).toBe(429);
  });
});
