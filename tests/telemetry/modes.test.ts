import { afterEach, describe, expect, it, vi } from 'vitest';
import { ANONYMOUS_ID_KEY, anonymousIds } from '../../src/telemetry/anonymous-id.js';
import { createTelemetry, type Telemetry } from '../../src/telemetry/client.js';
import { deviceContext } from '../../src/telemetry/context.js';
import { fromViteEnv, type TelemetryOptions } from '../../src/telemetry/config.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import type { NativeBody } from '../../src/telemetry/records.js';
import {
  countOp,
  fakeTimers,
  messages,
  recordingTransport,
  settle,
  testClient,
  ENDPOINT,
} from './helpers.js';

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

function client(options: TelemetryOptions = {}) {
  const wire = recordingTransport();
  const outbox = memoryOutbox();
  const t: Telemetry = testClient({
    transport: wire.transport,
    outbox,
    captureUrl: false,
    locks: null,
    ...options,
  });
  return { t, wire, outbox };
}

/** Every level and name that reached the wire. */
const seen = (bodies: NativeBody[]) => [
  ...bodies.flatMap((b) => b.logs.map((l) => `${l.level}:${l.message}`)),
  ...bodies.flatMap((b) => b.metrics.map((m) => `metric:${m.name}`)),
  ...bodies.flatMap((b) => b.traces.map((s) => `span:${s.name}`)),
];

function recordAll(t: Telemetry): void {
  t.log('debug', 'd');
  t.log('info', 'i');
  t.log('warn', 'w');
  t.log('error', 'e');
  t.exception(new Error('boom'));
  t.metric('web_vital_lcp', 1200);
  t.metric('cart_size', 3);
  t.trace('load', 20);
}

describe('levels', () => {
  it.each([
    ['minimal', ['error:e', 'error:boom', 'metric:web_vital_lcp']],
    [
      'normal',
      ['info:i', 'warn:w', 'error:e', 'error:boom', 'metric:web_vital_lcp', 'metric:cart_size', 'span:load'],
    ],
    [
      'verbose',
      [
        'debug:d',
        'info:i',
        'warn:w',
        'error:e',
        'error:boom',
        'metric:web_vital_lcp',
        'metric:cart_size',
        'span:load',
      ],
    ],
  ] as const)('%s collects only its share', async (level, expected) => {
    const { t, wire } = client({ level });
    recordAll(t);
    await t.flush();
    expect(seen(wire.bodies)).toEqual(expected);
    await t.shutdown();
  });

  it("defaults to 'normal', and setLevel() changes it for what comes next (an invalid level changes nothing)", async () => {
    const { t, wire } = client();
    t.log('debug', 'hidden');
    t.setLevel('verbose');
    t.log('debug', 'shown');
    t.setLevel('bogus' as never);
    t.log('debug', 'still shown');
    t.setLevel('minimal');
    t.log('info', 'not at minimal');
    await t.flush();
    expect(messages(wire.bodies)).toEqual(['shown', 'still shown']);
    await t.shutdown();
  });

  it('is read from VITE_TELEMETRY_LEVEL', () => {
    expect(fromViteEnv({ VITE_TELEMETRY_LEVEL: 'minimal' }).level).toBe('minimal');
    expect(fromViteEnv({ VITE_TELEMETRY_LEVEL: 'loud' }).level).toBeUndefined();
    expect(fromViteEnv({ VITE_TELEMETRY_AIR_GAPPED: 'true' }).airGapped).toBe(true);
    expect(fromViteEnv({ VITE_TELEMETRY_ENVIRONMENT: 'staging' }).environment).toBe('staging');
  });
});

describe('air-gapped mode', () => {
  it('stores everything, sends nothing (flush, hide, timer), exports native bodies and clears on demand', async () => {
    fakeTimers();
    const { t, wire, outbox } = client({ airGapped: true, batchSize: 2, flushIntervalMs: 1_000 });
    for (let i = 0; i < 5; i++) t.log('info', `m${i}`);
    await t.flush();
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(wire.requests).toHaveLength(0);
    expect(await outbox.run(countOp())).toBeGreaterThan(0);

    const exported = JSON.parse(await t.exportQueued()) as NativeBody[];
    expect(messages(exported)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const body of exported) {
      expect(body.batchId).toMatch(/^[0-9a-f]{32}$/);
      expect(body.session.id).toBe(t.getSessionId());
      expect(body.token).toBeUndefined();
    }
    await t.clearQueued();
    expect(await outbox.run(countOp())).toBe(0);
    expect(JSON.parse(await t.exportQueued())).toEqual([]);
    expect(t.status().dropped.cleared).toBe(5);
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    await t.shutdown();
    expect(wire.requests).toHaveLength(0);
  });

  it('exportQueued() and clearQueued() resolve harmlessly on a disabled client', async () => {
    const t = createTelemetry({ enabled: false, endpoint: ENDPOINT });
    await expect(t.exportQueued()).resolves.toBe('[]');
    await expect(t.clearQueued()).resolves.toBeUndefined();
  });
});

describe('anonymous id', () => {
  it('is random, the same all day for every client of the origin, new the next day, and the old value is not kept', () => {
    let n = 0;
    const ids = anonymousIds(() => `id${++n}`);
    const t0 = 100 * DAY + 5;
    expect(ids(t0)).toBe('id1');
    expect(ids(t0 + 1_000)).toBe('id1');
    // Another tab (a second reader) the same day shares it.
    expect(anonymousIds(() => 'other')(t0 + 2_000)).toBe('id1');
    expect(ids(t0 + DAY)).toBe('id2');
    expect(localStorage.getItem(ANONYMOUS_ID_KEY)).toBe(`101.id2`);
    expect(JSON.stringify({ ...localStorage })).not.toContain('id1');
  });

  it('travels in the envelope, is empty when nothing is recorded, and is forgotten on optOut()', async () => {
    const { t, wire } = client();
    t.log('info', 'a');
    await t.flush();
    const id = t.getAnonymousId();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(wire.bodies[0]!.anonymousId).toBe(id);
    expect(id).not.toBe(t.getSessionId());
    t.optOut();
    expect(localStorage.getItem(ANONYMOUS_ID_KEY)).toBeNull();
    expect(t.getAnonymousId()).toBe('');
    await t.shutdown();
    const off = createTelemetry({ consent: 'required', endpoint: ENDPOINT, outbox: memoryOutbox() });
    expect(off.getAnonymousId()).toBe('');
    expect(localStorage.getItem(ANONYMOUS_ID_KEY)).toBeNull();
  });
});

describe('event ids and resource', () => {
  it('gives every event an id unique within the session, on every kind', async () => {
    const { t, wire } = client();
    for (let i = 0; i < 50; i++) recordAll(t);
    await t.flush();
    const ids = wire.bodies.flatMap((b) => [...b.logs, ...b.metrics, ...b.traces].map((e) => e.eventId));
    expect(ids).toHaveLength(50 * 7);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}\.[0-9a-z]+$/);
    await t.shutdown();
  });

  it('stores environment, resource attributes and coarse context with app and version winning', async () => {
    const { t, wire } = client({
      app: 'shop',
      version: '2.0.0',
      environment: 'staging',
      resource: { channel: 'beta', app: 'ignored', n: 5 as unknown as string },
    });
    t.log('info', 'a');
    await t.flush();
    const resource = wire.bodies[0]!.resource;
    expect(resource).toMatchObject({
      app: 'shop',
      version: '2.0.0',
      environment: 'staging',
      channel: 'beta',
    });
    expect(resource.n).toBeUndefined();
    // happy-dom's user agent names no browser; its OS and device class are there.
    expect(Object.keys(deviceContext()).length).toBeGreaterThan(0);
    expect(resource).toMatchObject(deviceContext());
    await t.shutdown();

    const plain = client({ captureContext: false });
    plain.t.log('info', 'a');
    await plain.t.flush();
    expect(plain.wire.bodies[0]!.resource).toEqual({ app: 'app', version: '0.0.0' });
    await plain.t.shutdown();
  });
});
