import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { CONSENT_KEY } from '../../src/telemetry/consent.js';
import {
  countOp,
  fakeTimers,
  messages,
  recordingTransport,
  settle,
  testClient,
  ENDPOINT,
} from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createTelemetry records', () => {
  it('sends logs, metrics, spans and exceptions in the native wire format', async () => {
    const wire = recordingTransport();
    const t = testClient({
      token: 'tok',
      app: 'demo',
      version: '1.2.3',
      transport: wire.transport,
    });
    t.log('warn', 'Quiz started', { topic: 'Math' });
    t.metric('web_vital_lcp', 1250, { rating: 'good' });
    t.trace('api.generate', 2450, { model: 'm' });
    const parent = t.startSpan('load');
    const child = t.startSpan('parse', { step: 1 }, { parent });
    child.end({ ok: true });
    parent.end();
    t.exception(new RangeError('bad range'), { where: 'quiz' });
    await t.flush();
    await t.shutdown();

    expect(wire.requests).toHaveLength(1);
    expect(wire.requests[0]!.headers).toEqual({ 'X-Telemetry-Token': 'tok' });
    expect(wire.requests[0]!.contentType).toBe('application/json');
    const body = wire.bodies[0]!;
    expect(body.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.resource).toMatchObject({ app: 'demo', version: '1.2.3' });
    expect(body.session.id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.token).toBeUndefined();
    expect(body.logs[0]).toMatchObject({
      level: 'warn',
      message: 'Quiz started',
      context: { topic: 'Math' },
    });
    expect(body.logs[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(body.logs[1]).toMatchObject({
      level: 'error',
      message: 'bad range',
      context: { where: 'quiz' },
      exception: { type: 'RangeError', message: 'bad range' },
    });
    expect(body.logs[1]!.exception!.stack).toContain('RangeError');
    expect(body.metrics).toEqual([
      expect.objectContaining({ name: 'web_vital_lcp', value: 1250, labels: { rating: 'good' } }),
    ]);
    const [finished, childSpan, parentSpan] = body.traces;
    expect(finished).toMatchObject({ name: 'api.generate', duration: 2450, attributes: { model: 'm' } });
    expect(finished!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(finished!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(childSpan).toMatchObject({
      name: 'parse',
      traceId: parent.traceId,
      parentSpanId: parent.spanId,
      attributes: { step: 1, ok: true },
    });
    expect(parentSpan).toMatchObject({ name: 'load', traceId: parent.traceId, spanId: parent.spanId });
    expect(parentSpan).not.toHaveProperty('parentSpanId');
  });

  it('drops and counts non-finite metric values and durations', async () => {
    const wire = recordingTransport();
    const t = testClient({ transport: wire.transport });
    t.metric('a', Number.NaN);
    t.metric('b', Infinity);
    t.metric('c', '5' as unknown as number);
    t.trace('d', -1);
    t.metric('ok', 0);
    await t.flush();
    expect(t.status().dropped.invalid).toBe(4);
    expect(wire.bodies.flatMap((b) => b.metrics.map((m) => m.name))).toEqual(['ok']);
    await t.shutdown();
  });

  it('records an unknown level as info and scrubs personal data before it leaves the page', async () => {
    const wire = recordingTransport();
    const t = testClient({ transport: wire.transport });
    t.log('fatal' as 'error', 'mail jane@example.com', { password: 'hunter2', user: { email: 'x@y.io' } });
    await t.flush();
    const log = wire.bodies[0]!.logs[0]!;
    expect(log.level).toBe('info');
    expect(log.message).toBe('mail [email]');
    expect(JSON.stringify(log.context)).not.toMatch(/hunter2|x@y\.io/);
    await t.shutdown();
  });

  it('ends a span once however often end() is called, with the status given first', async () => {
    const wire = recordingTransport();
    const t = testClient({ transport: wire.transport });
    const span = t.startSpan('once');
    span.end({}, 'error');
    span.end({}, 'ok');
    await t.flush();
    const traces = wire.bodies.flatMap((b) => b.traces);
    expect(traces).toHaveLength(1);
    expect(traces[0]!.status).toBe('error');
    await t.shutdown();
  });
});

describe('createTelemetry when disabled', () => {
  const cases: [string, Parameters<typeof createTelemetry>[0]][] = [
    ['the env switch is off', { endpoint: ENDPOINT, enabled: false }],
    ['the feature flag is off', { endpoint: ENDPOINT, featureFlag: () => false }],
    [
      'the feature flag throws',
      {
        endpoint: ENDPOINT,
        featureFlag: () => {
          throw new Error('flag');
        },
      },
    ],
    ['there is no endpoint', {}],
    ['the session is not sampled', { endpoint: ENDPOINT, sampleRate: 0 }],
  ];
  it.each(cases)('opens nothing and sends nothing when %s', async (_name, options) => {
    fakeTimers();
    const added: string[] = [];
    const addDoc = document.addEventListener.bind(document);
    const addWin = window.addEventListener.bind(window);
    document.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean?]) => (
      added.push(type),
      addDoc(type, ...rest)
    )) as typeof document.addEventListener;
    window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean?]) => (
      added.push(type),
      addWin(type, ...rest)
    )) as typeof window.addEventListener;
    const fetchSpy = vi.fn();
    vi.stubGlobal('fetch', fetchSpy);
    try {
      const t = createTelemetry({ sessionEvents: false, ...options });
      t.log('info', 'x');
      t.metric('m', 1);
      t.startSpan('s').end();
      t.exception(new Error('e'));
      await t.flush();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(t.isEnabled()).toBe(false);
      expect(t.status()).toMatchObject({ enabled: false, storage: 'none', buffered: 0, sent: 0 });
      expect(vi.getTimerCount()).toBe(0);
      expect(added).toEqual([]);
      expect(fetchSpy.mock.calls).toHaveLength(0);
      expect(await indexedDB.databases()).toEqual([]);
      await t.shutdown();
    } finally {
      document.addEventListener = addDoc;
      window.addEventListener = addWin;
      vi.unstubAllGlobals();
    }
  });

  it('returns a no-op span with the invalid all-zero W3C ids', () => {
    const span = createTelemetry({ sessionEvents: false, enabled: false }).startSpan('x');
    expect(span.traceId).toBe('0'.repeat(32));
    expect(span.spanId).toBe('0'.repeat(16));
  });
});

describe('consent', () => {
  it('opting out stops collection, clears the outbox, and is remembered by the next client', async () => {
    const failing = recordingTransport(() => ({
      outcome: 'retry',
      status: 503,
      error: 'HTTP 503',
      countsAsAttempt: true,
    }));
    const outbox = memoryOutbox();
    const t = testClient({
      transport: failing.transport,
      outbox,
    });
    t.log('info', 'queued');
    await t.flush();
    expect(t.status().queued).toBe(1);
    t.optOut();
    await settle();
    expect(t.isEnabled()).toBe(false);
    expect(t.status().dropped.opted_out).toBe(1);
    expect(await outbox.run(countOp())).toBe(0);
    t.log('info', 'ignored');

    const wire = recordingTransport();
    const next = testClient({ transport: wire.transport });
    expect(next.isEnabled()).toBe(false);
    next.optIn();
    expect(next.isEnabled()).toBe(true);
    next.log('info', 'after opt-in');
    await next.flush();
    expect(messages(wire.bodies)).toEqual(['after opt-in']);
    await next.shutdown();
    await t.shutdown();
  });
});

describe('start-up', () => {
  it('reads no storage on the caller’s task, and still honours a stored opt-out before storing or sending', async () => {
    localStorage.setItem(CONSENT_KEY, 'out');
    const reads: string[] = [];
    const spies = [localStorage, sessionStorage].map((storage) => {
      const read = storage.getItem.bind(storage);
      return vi.spyOn(storage, 'getItem').mockImplementation((key) => (reads.push(key), read(key)));
    });
    const wire = recordingTransport();
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
    });
    expect(reads).toEqual([]);
    t.log('info', 'before the choice is read');
    await t.flush();
    expect(reads).toContain(CONSENT_KEY);
    expect(t.isEnabled()).toBe(false);
    expect(wire.requests).toEqual([]);
    expect(await outbox.run(countOp())).toBe(0);
    expect(t.status().dropped.opted_out).toBe(1);
    spies.forEach((s) => s.mockRestore());
    await t.shutdown();
  });
});

describe('start-up work on the caller’s task', () => {
  it('touches neither IndexedDB nor Web Locks nor the storage event until after start-up', async () => {
    const touched: string[] = [];
    const idb = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')!;
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get: (): unknown => (
        touched.push('indexedDB'),
        idb.get ? (idb.get.call(globalThis) as unknown) : idb.value
      ),
    });
    const addWin = window.addEventListener.bind(window);
    window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean?]) => (
      touched.push(`window:${type}`),
      addWin(type, ...rest)
    )) as typeof window.addEventListener;
    try {
      const t = testClient({
        transport: recordingTransport().transport,
      });
      t.log('info', 'early');
      expect(touched.filter((x) => x === 'indexedDB' || x === 'window:storage')).toEqual([]);
      await t.flush();
      expect(touched).toContain('indexedDB');
      await new Promise((r) => setTimeout(r, 5));
      expect(touched).toContain('window:storage');
      await t.shutdown();
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', idb);
      window.addEventListener = addWin;
    }
  });
});

describe('consent', () => {
  it("with consent 'required', records and stores nothing until optIn(), then records", async () => {
    const wire = recordingTransport();
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
      consent: 'required',
    });
    expect(t.consentState()).toBe('unknown');
    expect(t.isEnabled()).toBe(false);
    expect(t.isConfigured()).toBe(true);
    t.log('info', 'before consent');
    await t.flush();
    expect(t.status().buffered).toBe(0);
    expect(await outbox.run(countOp())).toBe(0);
    t.optIn();
    expect(t.consentState()).toBe('granted');
    t.log('info', 'after consent');
    await t.flush();
    expect(messages(wire.bodies)).toEqual(['after consent']);
    await t.shutdown();
    // Remembered by the next page load.
    const next = testClient({
      transport: wire.transport,
      consent: 'required',
    });
    expect(next.consentState()).toBe('granted');
    expect(next.isEnabled()).toBe(true);
    await next.shutdown();
  });

  it("with the default consent 'granted', records until the user opts out; the state says who chose", async () => {
    const t = testClient({
      transport: recordingTransport().transport,
    });
    expect(t.consentState()).toBe('unknown');
    expect(t.isEnabled()).toBe(true);
    t.optOut();
    expect(t.consentState()).toBe('denied');
    expect(t.isEnabled()).toBe(false);
    expect(t.isConfigured()).toBe(true);
    await t.shutdown();
  });

  it('a disabled client is not configured and has no session', () => {
    const t = testClient({ enabled: false });
    expect(t.isConfigured()).toBe(false);
    expect(t.getSessionId()).toBe('');
  });

  it('getSessionId() is the id every batch carries', async () => {
    const wire = recordingTransport();
    const t = testClient({ transport: wire.transport });
    t.log('info', 'x');
    await t.flush();
    expect(t.getSessionId()).toMatch(/^[0-9a-f]{32}$/);
    expect(wire.bodies[0]!.session.id).toBe(t.getSessionId());
    await t.shutdown();
  });
});

describe('flush({ timeoutMs })', () => {
  it('resolves by the timeout whatever the network does, leaving the batch queued', async () => {
    fakeTimers();
    const hung = recordingTransport(() => new Promise<never>(() => {}));
    const t = testClient({
      transport: hung.transport,
      outbox: memoryOutbox(),
    });
    t.log('info', 'stuck');
    let done = false;
    void t.flush({ timeoutMs: 500 }).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(done).toBe(true);
    expect(t.status().queued).toBe(1);
    let shut = false;
    void t.shutdown({ timeoutMs: 100 }).then(() => (shut = true));
    await vi.advanceTimersByTimeAsync(101);
    expect(shut).toBe(true);
  });
});

describe('privacy options', () => {
  it('scrubPatterns, allowKeys and beforeSend shape what leaves the page; hook drops are counted', async () => {
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      captureUrl: false,
      scrubPatterns: [{ pattern: /\bCUST-\d{6}\b/, replacement: '[customer]' }],
      allowKeys: ['sessionId'],
      beforeSend: (record, kind) => {
        if (kind === 'logs' && (record as { message: string }).message === 'drop me') return null;
        if (kind === 'metrics' && (record as { name: string }).name === 'bad') throw new Error('hook bug');
        if (kind === 'logs')
          (record as { context: Record<string, unknown> }).context.tagged = 'jane@example.com';
        return undefined;
      },
    });
    t.log('info', 'order for CUST-123456', { sessionId: 'abc', password: 'hunter2' });
    t.log('info', 'drop me');
    t.metric('bad', 1);
    await t.flush();
    const logs = wire.bodies.flatMap((b) => b.logs);
    expect(logs.map((l) => l.message)).toEqual(['order for [customer]']);
    expect(logs[0]!.context).toEqual({ sessionId: 'abc', password: '[REDACTED]', tagged: '[email]' });
    expect(t.status().dropped).toMatchObject({ before_send: 1, before_send_error: 1 });
    await t.shutdown();
  });
});

describe('after shutdown()', () => {
  it('status() and isEnabled() start nothing again: no timer, and the last counts stay', async () => {
    fakeTimers();
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    t.log('info', 'sent once');
    await t.shutdown();
    expect(t.status()).toMatchObject({ sent: 1, enabled: false });
    expect(t.isEnabled()).toBe(false);
    t.log('info', 'after shutdown');
    await t.flush();
    expect(vi.getTimerCount()).toBe(0);
    expect(wire.requests).toHaveLength(1);
  });
});

describe('Global Privacy Control', () => {
  const setGpc = (value: boolean | undefined) =>
    Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, get: () => value });
  afterEach(() => setGpc(undefined));

  it('is an opt-out by default until the user opts in; respectGpc: false ignores it', async () => {
    setGpc(true);
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    t.log('info', 'not sent');
    await t.flush();
    expect(t.consentState()).toBe('denied');
    expect(wire.requests).toEqual([]);
    t.optIn();
    t.log('info', 'after opt-in');
    await t.flush();
    expect(messages(wire.bodies)).toEqual(['after opt-in']);
    await t.shutdown();

    localStorage.clear();
    const ignoring = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      respectGpc: false,
    });
    expect(ignoring.isEnabled()).toBe(true);
    await ignoring.shutdown();
  });
});
