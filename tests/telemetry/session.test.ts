import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, type Telemetry } from '../../src/telemetry/client.js';
import type { TelemetryOptions } from '../../src/telemetry/config.js';
import { memoryOutbox, type Outbox } from '../../src/telemetry/outbox.js';
import type { NativeBody } from '../../src/telemetry/records.js';
import { SESSION_KEY } from '../../src/telemetry/session.js';
import { fakeTimers, recordingTransport, setVisibility, settle, ENDPOINT } from './helpers.js';

const MIN = 60_000;

afterEach(() => {
  setVisibility('visible');
  vi.useRealTimers();
});

/** A client on fake timers (Date included) with its sends recorded. */
function page(outbox: Outbox = memoryOutbox(), options: TelemetryOptions = {}) {
  const wire = recordingTransport();
  const t: Telemetry = createTelemetry({
    endpoint: ENDPOINT,
    transport: wire.transport,
    outbox,
    captureUrl: false,
    locks: null,
    ...options,
  });
  return { t, wire };
}

/** `[session id, message, context]` of every log sent, in order. */
const logs = (bodies: NativeBody[]) =>
  bodies.flatMap((b) => b.logs.map((l) => [b.session.id, l.message, l.context] as const));

async function flush(t: Telemetry): Promise<void> {
  await vi.advanceTimersByTimeAsync(1);
  await t.flush();
  await settle();
}

describe('sessions', () => {
  it('records session_start before the first event, once per session', async () => {
    fakeTimers();
    const { t, wire } = page();
    t.log('info', 'a');
    t.log('info', 'b');
    await flush(t);
    const sent = logs(wire.bodies);
    expect(sent.map(([, m]) => m)).toEqual(['session_start', 'a', 'b']);
    expect(new Set(sent.map(([id]) => id))).toEqual(new Set([t.getSessionId()]));
    await t.shutdown();
  });

  it('an event after the inactivity timeout ends the session (timeout) under its own id and starts a new one', async () => {
    fakeTimers();
    const { t, wire } = page(memoryOutbox(), { sessionTimeoutMs: 30 * MIN });
    t.log('info', 'page_view');
    t.log('info', 'first');
    await flush(t);
    const first = t.getSessionId();
    await vi.advanceTimersByTimeAsync(31 * MIN);
    t.log('info', 'later');
    await flush(t);
    const second = t.getSessionId();
    expect(second).not.toBe(first);
    const sent = logs(wire.bodies);
    expect(sent.map(([id, m]) => [id === first ? 'first' : 'second', m])).toEqual([
      ['first', 'session_start'],
      ['first', 'page_view'],
      ['first', 'first'],
      ['first', 'session_end'],
      ['second', 'session_start'],
      ['second', 'later'],
    ]);
    const end = sent.find(([, m]) => m === 'session_end')![2];
    expect(end).toEqual({ reason: 'timeout', duration_ms: 0, page_views: 1 });
    await t.shutdown();
  });

  it('a page hidden for the whole timeout ends the session; returning starts a new one', async () => {
    fakeTimers();
    const { t, wire } = page(memoryOutbox(), { sessionTimeoutMs: 10 * MIN });
    t.log('info', 'before');
    const start = Date.now();
    await flush(t);
    const first = t.getSessionId();
    await vi.advanceTimersByTimeAsync(2 * MIN);
    t.log('info', 'still');
    const last = Date.now();
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(10 * MIN + 1);
    await flush(t);
    const ends = logs(wire.bodies).filter(([, m]) => m === 'session_end');
    expect(ends).toEqual([
      [first, 'session_end', { reason: 'timeout', duration_ms: last - start, page_views: 0 }],
    ]);
    setVisibility('visible');
    t.log('info', 'back');
    await flush(t);
    const after = logs(wire.bodies).slice(-2);
    expect(after.map(([, m]) => m)).toEqual(['session_start', 'back']);
    expect(after[0]![0]).not.toBe(first);
    await t.shutdown();
  });

  it('a hide shorter than the timeout ends nothing, and returning stops the hidden timer', async () => {
    fakeTimers();
    const { t, wire } = page(memoryOutbox(), { sessionTimeoutMs: 10 * MIN });
    t.log('info', 'a');
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(9 * MIN);
    setVisibility('visible');
    t.log('info', 'b');
    // Past the moment the hidden timer would have fired.
    await vi.advanceTimersByTimeAsync(2 * MIN);
    await flush(t);
    expect(logs(wire.bodies).map(([, m]) => m)).toEqual(['session_start', 'a', 'b']);
    await t.shutdown();
  });

  it('pagehide records session_end (close) with running totals; a reload within the timeout goes on in the same session', async () => {
    fakeTimers();
    const outbox = memoryOutbox();
    const one = page(outbox);
    one.t.log('info', 'page_view');
    await vi.advanceTimersByTimeAsync(5_000);
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    const id = one.t.getSessionId();
    expect(logs(one.wire.bodies).map(([, m, c]) => [m, c])).toEqual([
      ['session_start', {}],
      ['page_view', {}],
      ['session_end', { reason: 'close', duration_ms: 5_000, page_views: 1 }],
    ]);
    await one.t.shutdown();

    // The reload: same tab (sessionStorage kept), two minutes later.
    await vi.advanceTimersByTimeAsync(2 * MIN);
    const two = page(outbox);
    two.t.log('info', 'page_view');
    await flush(two.t);
    expect(two.t.getSessionId()).toBe(id);
    expect(logs(two.wire.bodies).map(([, m]) => m)).toEqual(['page_view']);
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    expect(logs(two.wire.bodies).at(-1)![2]).toEqual({
      reason: 'close',
      duration_ms: 2 * MIN + 5_000 + 1, // flush() advances the clock 1 ms
      page_views: 2,
    });
    await two.t.shutdown();
  });

  it('a reload after the timeout starts a new session', async () => {
    fakeTimers();
    const one = page();
    one.t.log('info', 'a');
    await flush(one.t);
    const id = one.t.getSessionId();
    await one.t.shutdown();
    await vi.advanceTimersByTimeAsync(31 * MIN);
    const two = page();
    two.t.log('info', 'b');
    await flush(two.t);
    expect(two.t.getSessionId()).not.toBe(id);
    expect(logs(two.wire.bodies).map(([, m]) => m)).toEqual(['session_start', 'b']);
    await two.t.shutdown();
  });

  it('keeps a session id stored by an earlier build (a bare id)', async () => {
    fakeTimers();
    sessionStorage.setItem(SESSION_KEY, 'legacy-id');
    const { t, wire } = page();
    t.log('info', 'a');
    await flush(t);
    expect(t.getSessionId()).toBe('legacy-id');
    expect(logs(wire.bodies).map(([id, m]) => [id, m])).toEqual([['legacy-id', 'a']]);
    await t.shutdown();
  });

  it('with sessionEvents: false, sessions still rotate but no session event is recorded', async () => {
    fakeTimers();
    const { t, wire } = page(memoryOutbox(), { sessionEvents: false });
    t.log('info', 'a');
    await flush(t);
    const first = t.getSessionId();
    await vi.advanceTimersByTimeAsync(31 * MIN);
    t.log('info', 'b');
    await flush(t);
    expect(t.getSessionId()).not.toBe(first);
    expect(logs(wire.bodies).map(([, m]) => m)).toEqual(['a', 'b']);
    await t.shutdown();
  });
});
