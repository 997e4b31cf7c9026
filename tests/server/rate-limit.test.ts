// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/server/index.js';
import { batch, cleanup, lines, NOW, post, serve } from './harness.js';

afterEach(cleanup);

describe('createRateLimiter', () => {
  it('allows the burst, then tells how long until the next token', () => {
    let now = 0;
    const limiter = createRateLimiter({ requests: 2, perMs: 1000 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 500]);
    now = 250;
    expect(limiter.take('a')).toBe(250);
    now = 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(500);
  });

  it('keeps one bucket per key', () => {
    const limiter = createRateLimiter({ requests: 1, perMs: 1000 }, () => 0);
    expect([limiter.take('a'), limiter.take('b'), limiter.take('a')]).toEqual([0, 0, 1000]);
  });

  it('does not drain a bucket when the clock steps back', () => {
    let now = 10_000;
    const limiter = createRateLimiter({ requests: 1, perMs: 1000 }, () => now);
    limiter.take('a');
    now = 0;
    expect(limiter.take('a')).toBe(1000);
  });

  it('forgets idle clients past 10,000 without letting a limited one through', () => {
    let now = 0;
    const limiter = createRateLimiter({ requests: 1, perMs: 1000 }, () => now);
    limiter.take('busy');
    for (let i = 0; i < 10_000; i++) limiter.take(`ip-${i}`);
    now = 500;
    limiter.take('newcomer'); // triggers the sweep; nothing is full yet
    expect(limiter.take('busy')).toBe(500);
  });
});

describe('rate limiting in the server', () => {
  it('answers 429 with Retry-After in seconds once a client is over the limit', async () => {
    let now = NOW;
    const server = await serve({ rateLimit: { requests: 2, perMs: 60_000 }, now: () => now });
    expect((await post(server.url, batch('b1'))).status).toBe(200);
    expect((await post(server.url, batch('b2'))).status).toBe(200);
    const limited = await post(server.url, batch('b3'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(await limited.json()).toEqual({ error: 'rate limit exceeded' });

    now += 30_000;
    expect((await post(server.url, batch('b3'))).status).toBe(200);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(3);
  });
});
