import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../../src/telemetry/client.js';
import { bodyText, HTTP, OFFLINE, OK, recordingTransport, seeded } from './helpers.js';

function hostileValues(): unknown[] {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const throwing = Object.defineProperty({}, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const trap = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error('trap');
      },
    },
  );
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 200; i++) deep = deep.next = {};
  const rejected = Promise.reject(new Error('late'));
  rejected.catch(() => {});
  const noProto = Object.create(null) as Record<string, unknown>;
  noProto.x = 1;
  return [
    undefined,
    null,
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1e308,
    10n ** 30n,
    Symbol('s'),
    () => 1,
    true,
    '',
    'x'.repeat(2_000_000),
    '😀'.repeat(5_000),
    '\ud800',
    'user@example.com',
    new Error('plain'),
    new TypeError('typed', { cause: circular }),
    Object.assign(new Error('odd'), { name: 42 }),
    circular,
    throwing,
    proxy,
    trap,
    root,
    noProto,
    [circular, [circular]],
    new Map([[circular, circular]]),
    new Set([1, circular]),
    new Date(NaN),
    /re/g,
    new Uint8Array(4),
    new ArrayBuffer(8),
    rejected,
    Array.from({ length: 10_000 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])),
    {
      toString: () => {
        throw new Error('toString');
      },
    },
    {
      valueOf: () => {
        throw new Error('valueOf');
      },
    },
    document.body,
    window,
  ];
}

describe('no public call throws or rejects, whatever it is given', () => {
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  beforeEach(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterEach(() => {
    process.off('unhandledRejection', onRejection);
  });

  it.each([1, 2, 3])('survives 400 random calls with hostile input (seed %i)', async (seed) => {
    const random = seeded(seed);
    const values = hostileValues();
    const pick = () => values[Math.floor(random() * values.length)];
    const answers = [OK, OFFLINE, HTTP(503), HTTP(429, 10), HTTP(400)];
    const wire = recordingTransport(() => answers[Math.floor(random() * answers.length)]!);
    const clients: Telemetry[] = [
      createTelemetry({
        endpoint: 'http://127.0.0.1:9/ingest',
        transport: wire.transport,
        batchSize: 3,
        maxBatchBytes: 4_096,
      }),
      createTelemetry(pick() as never),
    ];
    const calls: ((t: Telemetry) => unknown)[] = [
      (t) => t.log(pick() as never, pick() as never, pick() as never),
      (t) => t.log('info', pick() as never, pick() as never),
      (t) => t.metric(pick() as never, pick() as never, pick() as never),
      (t) => t.metric('m', random() * 100, pick() as never),
      (t) => t.trace(pick() as never, pick() as never, pick() as never),
      (t) => t.startSpan(pick() as never, pick() as never, pick() as never).end(pick() as never),
      (t) => t.exception(pick(), pick() as never),
      (t) => t.flush(),
      (t) => t.status(),
      (t) => t.isEnabled(),
      (t) => (random() < 0.1 ? t.optOut() : t.optIn()),
      () => window.dispatchEvent(new Event('pagehide')),
      () => window.dispatchEvent(new Event('online')),
    ];
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const t = clients[Math.floor(random() * clients.length)]!;
      const call = calls[Math.floor(random() * calls.length)]!;
      let result: unknown;
      expect(() => (result = call(t))).not.toThrow();
      if (result instanceof Promise) pending.push(result);
    }
    await expect(Promise.all(pending)).resolves.toBeDefined();
    for (const t of clients) await expect(t.shutdown()).resolves.toBeUndefined();
    for (const t of clients) {
      const s = t.status();
      expect(Number.isFinite(s.sent) && Number.isFinite(s.queued) && Number.isFinite(s.buffered)).toBe(true);
    }
    // Every body that went out is valid JSON in the native shape, within the byte budget.
    for (const r of wire.requests) {
      const text = bodyText(r);
      expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(4_096);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.batchId).toMatch(/^[0-9a-f]{32}$/);
      for (const kind of ['logs', 'traces', 'metrics']) expect(Array.isArray(body[kind])).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(rejections).toEqual([]);
  });
});
