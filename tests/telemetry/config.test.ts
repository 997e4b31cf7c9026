import { describe, expect, it } from 'vitest';
import { DEFAULTS, fromViteEnv, resolveOptions, type TelemetryOptions } from '../../src/telemetry/config.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { bodyText, messages, recordingTransport } from './helpers.js';

/** Lets a test pass values the types forbid, as plain JS callers can. */
const loose = (options: Record<string, unknown>): TelemetryOptions => options;

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    const r = resolveOptions();
    expect(r).toMatchObject({
      endpoint: undefined,
      token: undefined,
      enabled: true,
      batchSize: 10,
      flushIntervalMs: 30_000,
      persistDelayMs: 1_000,
      sampleRate: 1,
      app: 'app',
      version: '0.0.0',
      maxQueuedEvents: 20_000,
      maxQueuedBytes: 16 * 1024 * 1024,
      compress: true,
      respectGpc: true,
      consent: 'granted',
      format: 'native',
      maxAttempts: 5,
      maxAgeMs: 7 * 24 * 60 * 60 * 1000,
      maxBatchBytes: 60_000,
      retryBaseMs: 2_000,
      retryMaxMs: 300_000,
      outbox: undefined,
      transport: undefined,
      random: undefined,
      captureUrl: true,
    });
    expect(r.featureFlag()).toBe(true);
    expect(r.now).toBe(Date.now);
    expect(() => r.onDiagnostic('x')).not.toThrow();
  });

  it('keeps every request body of a default client under the 64 KiB keepalive budget', async () => {
    const wire = recordingTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'http://127.0.0.1:8787/ingest',
      transport: wire.transport,
      compress: false,
    });
    // UTF-8 heavy events, 3 bytes a character: string length would understate them.
    for (let i = 0; i < 300; i++) t.log('info', `e${i}`, { text: '€'.repeat(700) });
    await t.flush();
    expect(wire.requests.length).toBeGreaterThan(5);
    for (const r of wire.requests)
      expect(Buffer.byteLength(bodyText(r))).toBeLessThanOrEqual(DEFAULTS.maxBatchBytes);
    expect(DEFAULTS.maxBatchBytes).toBeLessThan(64 * 1024);
    expect(messages(wire.bodies)).toHaveLength(300);
    await t.shutdown();
  });

  it('keeps valid values as given', () => {
    const outbox = memoryOutbox();
    const now = (): number => 5;
    const random = (): number => 0.5;
    const flag = (): boolean => false;
    const r = resolveOptions({
      endpoint: '/ingest',
      token: 't0k',
      enabled: false,
      featureFlag: flag,
      batchSize: 25,
      flushIntervalMs: 5_000,
      persistDelayMs: 0,
      sampleRate: 0.25,
      app: 'quiz',
      version: '1.2.3',
      maxQueuedEvents: 100,
      maxAttempts: 3,
      maxAgeMs: 60_000,
      maxBatchBytes: 32_000,
      retryBaseMs: 0,
      retryMaxMs: 10_000,
      outbox,
      now,
      random,
      captureUrl: false,
    });
    expect(r).toMatchObject({
      endpoint: '/ingest',
      token: 't0k',
      enabled: false,
      batchSize: 25,
      flushIntervalMs: 5_000,
      persistDelayMs: 0,
      sampleRate: 0.25,
      app: 'quiz',
      version: '1.2.3',
      maxQueuedEvents: 100,
      maxAttempts: 3,
      maxAgeMs: 60_000,
      maxBatchBytes: 32_000,
      retryBaseMs: 0,
      retryMaxMs: 10_000,
      captureUrl: false,
    });
    expect(r.featureFlag).toBe(flag);
    expect(r.outbox).toBe(outbox);
    expect(r.now).toBe(now);
    expect(r.random).toBe(random);
  });

  it('accepts sample rates 0 and 1 exactly', () => {
    expect(resolveOptions({ sampleRate: 0 }).sampleRate).toBe(0);
    expect(resolveOptions({ sampleRate: 1 }).sampleRate).toBe(1);
  });

  it.each([0, -1, NaN, Infinity, -Infinity, 0.5, '10', null])(
    'falls back to the default batch size for %s',
    (batchSize) => {
      expect(resolveOptions(loose({ batchSize })).batchSize).toBe(DEFAULTS.batchSize);
    },
  );

  it('rounds fractional counts down', () => {
    const r = resolveOptions({
      batchSize: 7.9,
      maxQueuedEvents: 99.5,
      maxAttempts: 2.2,
      maxBatchBytes: 2048.7,
    });
    expect([r.batchSize, r.maxQueuedEvents, r.maxAttempts, r.maxBatchBytes]).toEqual([7, 99, 2, 2048]);
  });

  it.each([1.5, -0.1, NaN, Infinity, '0.5'])('falls back to sample rate 1 for %s', (sampleRate) => {
    expect(resolveOptions(loose({ sampleRate })).sampleRate).toBe(1);
  });

  it('falls back to defaults for values below each minimum', () => {
    const r = resolveOptions({
      flushIntervalMs: 5,
      persistDelayMs: -1,
      maxQueuedEvents: 0,
      maxAttempts: 0,
      maxAgeMs: 0,
      maxBatchBytes: 1023,
      retryBaseMs: -5,
      retryMaxMs: -5,
    });
    expect(r).toMatchObject({
      flushIntervalMs: DEFAULTS.flushIntervalMs,
      persistDelayMs: DEFAULTS.persistDelayMs,
      maxQueuedEvents: DEFAULTS.maxQueuedEvents,
      maxAttempts: DEFAULTS.maxAttempts,
      maxAgeMs: DEFAULTS.maxAgeMs,
      maxBatchBytes: DEFAULTS.maxBatchBytes,
      retryBaseMs: DEFAULTS.retryBaseMs,
      retryMaxMs: DEFAULTS.retryMaxMs,
    });
  });

  it('treats empty strings and non-strings as absent for endpoint, token, app and version', () => {
    expect(resolveOptions(loose({ endpoint: '', token: '', app: '', version: '' }))).toMatchObject({
      endpoint: undefined,
      token: undefined,
      app: 'app',
      version: '0.0.0',
    });
    expect(resolveOptions(loose({ endpoint: 42, token: {}, app: 1, version: null }))).toMatchObject({
      endpoint: undefined,
      token: undefined,
      app: 'app',
      version: '0.0.0',
    });
  });

  it('only an explicit false disables; other values of enabled and captureUrl keep them on', () => {
    expect(resolveOptions({ enabled: false }).enabled).toBe(false);
    expect(resolveOptions(loose({ enabled: 'false' })).enabled).toBe(true);
    expect(resolveOptions(loose({ enabled: 0 })).enabled).toBe(true);
    expect(resolveOptions(loose({ captureUrl: 0 })).captureUrl).toBe(true);
  });

  it('replaces non-function featureFlag, now and onDiagnostic with safe defaults', () => {
    const r = resolveOptions(loose({ featureFlag: true, now: 5, onDiagnostic: 'log' }));
    expect(r.featureFlag()).toBe(true);
    expect(typeof r.now()).toBe('number');
    expect(() => r.onDiagnostic('message', { detail: 1 })).not.toThrow();
  });
});

describe('fromViteEnv', () => {
  it('enables only on exactly "true"', () => {
    expect(fromViteEnv({ VITE_TELEMETRY_ENABLED: 'true' }).enabled).toBe(true);
    for (const value of ['TRUE', 'True', '1', 'yes', 'on', ' true', 'true ', 'false', '', undefined]) {
      expect(fromViteEnv({ VITE_TELEMETRY_ENABLED: value }).enabled, String(value)).toBe(false);
    }
  });

  it('is disabled with no env at all', () => {
    expect(fromViteEnv(undefined).enabled).toBe(false);
    expect(fromViteEnv({}).enabled).toBe(false);
    expect(resolveOptions(fromViteEnv(undefined)).enabled).toBe(false);
  });

  it('passes endpoint, token, app and version through', () => {
    expect(
      fromViteEnv({
        VITE_TELEMETRY_ENDPOINT: '/ingest',
        VITE_TELEMETRY_TOKEN: 'tok',
        VITE_TELEMETRY_APP: 'quiz',
        VITE_TELEMETRY_VERSION: '2.0.1',
      }),
    ).toMatchObject({ endpoint: '/ingest', token: 'tok', app: 'quiz', version: '2.0.1' });
  });

  it('parses numbers', () => {
    expect(
      fromViteEnv({
        VITE_TELEMETRY_BATCH_SIZE: '25',
        VITE_TELEMETRY_FLUSH_INTERVAL_MS: ' 15000 ',
        VITE_TELEMETRY_SAMPLE_RATE: '0.1',
      }),
    ).toMatchObject({ batchSize: 25, flushIntervalMs: 15_000, sampleRate: 0.1 });
  });

  it('ignores blank and non-numeric numbers so the defaults apply', () => {
    const options = fromViteEnv({
      VITE_TELEMETRY_ENABLED: 'true',
      VITE_TELEMETRY_BATCH_SIZE: '',
      VITE_TELEMETRY_FLUSH_INTERVAL_MS: '   ',
      VITE_TELEMETRY_SAMPLE_RATE: 'half',
    });
    expect(options.batchSize).toBeUndefined();
    expect(options.flushIntervalMs).toBeUndefined();
    expect(options.sampleRate).toBeUndefined();
    expect(resolveOptions(options)).toMatchObject({
      batchSize: DEFAULTS.batchSize,
      flushIntervalMs: DEFAULTS.flushIntervalMs,
      sampleRate: DEFAULTS.sampleRate,
    });
  });

  it('resolves an env with an empty endpoint to no endpoint', () => {
    const r = resolveOptions(fromViteEnv({ VITE_TELEMETRY_ENABLED: 'true', VITE_TELEMETRY_ENDPOINT: '' }));
    expect(r.enabled).toBe(true);
    expect(r.endpoint).toBeUndefined();
  });

  it('lets resolveOptions reject out-of-range env numbers', () => {
    const r = resolveOptions(
      fromViteEnv({ VITE_TELEMETRY_BATCH_SIZE: '-3', VITE_TELEMETRY_SAMPLE_RATE: '2' }),
    );
    expect(r.batchSize).toBe(DEFAULTS.batchSize);
    expect(r.sampleRate).toBe(DEFAULTS.sampleRate);
  });
});
