/**
 * The delivery races of issue "Exactly once, for real", each replayed step by step: an outbox whose
 * writes the test releases one at a time, a transport that answers when told, and a server stand-in
 * that dedupes by batchId as the ingest server does. Every test checks what a server would store.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONSENT_KEY } from '../../src/telemetry/consent.js';
import type { Encoder } from '../../src/telemetry/encoders/encoder.js';
import { nativeEncoder } from '../../src/telemetry/encoders/native-encoder.js';
import { createKeepaliveBudget } from '../../src/telemetry/keepalive-budget.js';
import { memoryOutbox, type Outbox, type OutboxOp } from '../../src/telemetry/outbox.js';
import type { TelemetryOptions } from '../../src/telemetry/config.js';
import type { NativeBody } from '../../src/telemetry/records.js';
import type { SendRequest, SendResult, Transport } from '../../src/telemetry/transport.js';
import {
  bodyText,
  fakeLockManager,
  fakeTimers,
  HTTP,
  OFFLINE,
  OK,
  readOp,
  setVisibility,
  settle,
  testClient,
  ENDPOINT,
} from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
  setVisibility('visible');
});

/** An outbox whose operations wait until the test lets them through (`release()`), one by one. */
function gatedOutbox(inner: Outbox = memoryOutbox()) {
  const waiting: (() => void)[] = [];
  let gated = false;
  const outbox: Outbox = {
    kind: 'indexeddb',
    async run<R>(op: OutboxOp<R>): Promise<R> {
      if (gated) await new Promise<void>((resolve) => waiting.push(resolve));
      return inner.run(op);
    },
  };
  return {
    outbox,
    inner,
    gate: () => void (gated = true),
    open: () => {
      gated = false;
      waiting.splice(0).forEach((go) => go());
    },
    pending: () => waiting.length,
  };
}

/**
 * A server stand-in: stores each batchId's first body, as the ingest server's dedupe does, and
 * remembers every body sent under each id so a test can check that one id always meant one content.
 */
function dedupingServer(answer: (r: SendRequest, i: number) => SendResult | Promise<SendResult> = () => OK) {
  const stored = new Map<string, NativeBody>();
  const variants = new Map<string, Set<string>>();
  const requests: SendRequest[] = [];
  const transport: Transport = {
    async send(request) {
      requests.push(request);
      const result = await answer(request, requests.length - 1);
      if (result.outcome === 'ok') {
        const body = JSON.parse(bodyText(request)) as NativeBody;
        const content = JSON.stringify([body.logs, body.metrics, body.traces]);
        if (!variants.has(body.batchId)) variants.set(body.batchId, new Set());
        variants.get(body.batchId)!.add(content);
        if (!stored.has(body.batchId)) stored.set(body.batchId, body);
      }
      return result;
    },
  };
  return {
    transport,
    requests,
    /** Messages as the server stored them, sorted. */
    messages: () => [...stored.values()].flatMap((b) => b.logs.map((l) => l.message)).sort(),
    /** Batch ids that were sent with more than one content (the server kept only the first). */
    conflicting: () => [...variants].filter(([, v]) => v.size > 1).map(([id]) => id),
  };
}

/**
 * Lets the client's start-up run and finish: the pipeline is made in a timer of 0 ms, and its own
 * start-up (listeners added after start-up, the first drain) in another. Several turns, since on a
 * loaded machine a timer can fire late and change the order.
 */
async function started(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await settle();
  }
}

/** A page whose unload sends never get an answer (it is gone), over `outbox`. */
function leavingPage(outbox: Outbox, options: TelemetryOptions = {}) {
  const lost = dedupingServer((r) => (r.unloading ? new Promise<SendResult>(() => {}) : OFFLINE));
  const t = testClient({
    transport: lost.transport,
    outbox,
    batchSize: 10_000,
    // Its own budget: the page-wide one would stay used up by sends that never answer.
    keepaliveBudget: createKeepaliveBudget(),
    ...options,
  });
  return { t, lost };
}

/** The page is hidden, then unloads. */
function hideAndUnload(): void {
  setVisibility('hidden');
  window.dispatchEvent(new Event('pagehide'));
}

/**
 * What one deduping server stores from these requests, by batchId (a batch both sent at unload and
 * restored from the spill counts once): the log messages, sorted.
 */
function storedOnce(requests: SendRequest[]): string[] {
  const byBatch = new Map<string, string[]>();
  for (const r of requests) {
    const body = JSON.parse(bodyText(r)) as NativeBody;
    byBatch.set(
      body.batchId,
      body.logs.map((l) => l.message),
    );
  }
  return [...byBatch.values()].flat().sort();
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).sort();

describe('leaving while a persist is in flight', () => {
  it('sends each event under one batchId and one content, so the server stores it once', async () => {
    fakeTimers();
    const box = gatedOutbox();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: box.outbox,
      persistDelayMs: 100,
      compress: false,
    });
    await vi.advanceTimersByTimeAsync(10);
    t.log('info', 'a0');
    await vi.advanceTimersByTimeAsync(150); // a0 is in the open entry
    box.gate();
    t.log('info', 'a1');
    t.log('info', 'a2');
    await vi.advanceTimersByTimeAsync(150); // their append is in flight, held by the gate
    expect(box.pending()).toBe(1);
    t.log('info', 'a3');
    // At unload both events arrive in one task.
    hideAndUnload();
    expect(server.requests.length).toBeGreaterThan(0);
    box.open();
    await settle();
    // The page comes back and sends whatever is still queued.
    setVisibility('visible');
    await t.flush();
    await vi.advanceTimersByTimeAsync(61_000);
    await t.flush();
    expect(server.conflicting()).toEqual([]);
    expect(server.messages()).toEqual(names('a', 4));
    expect(await box.inner.run(readOp)).toEqual([]);
    expect(t.status()).toMatchObject({ queued: 0, buffered: 0, sent: 4 });
    await t.shutdown();
  });

  it('a second leave in the same task sends nothing more', async () => {
    const box = gatedOutbox();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: box.outbox,
    });
    await started();
    box.gate();
    t.log('info', 'once');
    void t.flush();
    setVisibility('hidden');
    const after = server.requests.length;
    window.dispatchEvent(new Event('pagehide'));
    expect(server.requests.length).toBe(after);
    box.open();
    await t.shutdown();
    expect(server.messages()).toEqual(['once']);
  });
});

describe('unload sends', () => {
  it('writes what does not fit the keepalive budget unclaimed, so the next page sends it at once', async () => {
    const outbox = memoryOutbox();
    // The page is gone: its unload sends never get an answer, and it cannot send anything else.
    const { t, lost } = leavingPage(outbox);
    await started();
    const pad = 'x'.repeat(600);
    for (let i = 0; i < 200; i++) t.log('info', `u${i}`, { pad });
    setVisibility('hidden');
    const sentAtUnload = lost.requests.length;
    expect(sentAtUnload).toBeGreaterThan(0);
    const unloadBytes = lost.requests.reduce((n, r) => n + bodyText(r).length, 0);
    expect(unloadBytes).toBeLessThanOrEqual(60_000);
    await settle(60);
    const stored = await outbox.run(readOp);
    // Over the budget: stored, closed, unclaimed and due, not leased to the page that left.
    const waiting = stored.filter((e) => e.claimedBy === undefined);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((e) => !e.open && e.nextAttemptAt === 0)).toBe(true);
    await t.shutdown();

    const server = dedupingServer();
    const next = testClient({
      transport: server.transport,
      outbox,
    });
    await next.flush();
    // Within a second, without waiting out the 60 s lease, everything not sent at unload arrives.
    const leased = stored.filter((e) => e.claimedBy !== undefined).flatMap((e) => e.batch.logs);
    expect(server.messages().length).toBe(200 - leased.length);
    await next.shutdown();
  });

  it("a page writes and claims only once its Web Lock is held, so another context never takes its claim for a dead page's", async () => {
    const fake = fakeLockManager();
    fake.control.slow = true; // the browser grants this page's lock late
    const outbox = memoryOutbox();
    let answer: (result: SendResult) => void = () => {};
    const answered = new Promise<SendResult>((resolve) => (answer = resolve));
    const a = dedupingServer(() => answered);
    const page = testClient({ transport: a.transport, outbox, locks: fake.locks });
    await started();
    for (let i = 0; i < 5; i++) page.log('info', `w${i}`);
    const flushed = page.flush();
    await settle(40);
    // Another context of the origin (its own lock granted at once) drains the outbox meanwhile.
    fake.control.slow = false;
    const b = dedupingServer();
    const other = testClient({ transport: b.transport, outbox, locks: fake.locks });
    await started();
    await other.flush();
    // Before the fix the page had written and claimed the batch without its lock: this context saw
    // a dead owner, took the claim over and sent the batch a second time.
    expect(b.requests).toHaveLength(0);
    fake.grantSlow();
    await settle(40);
    answer(OK);
    await flushed;
    await other.flush();
    expect(b.requests).toHaveLength(0);
    expect(a.requests).toHaveLength(1);
    expect(a.messages()).toEqual(names('w', 5));
    await page.shutdown();
    await other.shutdown();
  });

  it('a batch sent with keepalive at a hide is not sent again by another context while its answer is pending', async () => {
    const fake = fakeLockManager();
    const outbox = memoryOutbox();
    let answer: (result: SendResult) => void = () => {};
    const answered = new Promise<SendResult>((resolve) => (answer = resolve));
    // The page's keepalive sends are on their way (no answer yet); its other sends succeed.
    const a = dedupingServer((r) => (r.unloading ? answered : OK));
    const page = testClient({
      transport: a.transport,
      outbox,
      locks: fake.locks,
      keepaliveBudget: createKeepaliveBudget(),
    });
    await started();
    // Under the batch size: still in memory when the page is hidden, so they leave by keepalive.
    for (let i = 0; i < 5; i++) page.log('info', `h${i}`);
    setVisibility('hidden');
    expect(a.requests.filter((r) => r.unloading)).toHaveLength(1);
    await settle(40);
    // Another context of the origin (the service worker's Background Sync, another tab) drains the outbox
    // meanwhile: the page is alive and its send in flight, so that batch is not its to send.
    const b = dedupingServer();
    const other = testClient({ transport: b.transport, outbox, locks: fake.locks });
    await started();
    await other.flush();
    expect(b.requests).toHaveLength(0);
    answer(OK);
    await settle(40);
    await other.flush();
    expect(b.requests).toHaveLength(0);
    expect(a.messages()).toEqual(names('h', 5));
    setVisibility('visible');
    await page.shutdown();
    await other.shutdown();
  });

  it('events in a write that has not committed when the page unloads, beyond the budget, survive through the spill', async () => {
    const box = gatedOutbox();
    const { t, lost } = leavingPage(box.outbox, { persistDelayMs: 10 });
    await started();
    // From here no write commits; the persist timer moves the events from memory into a write.
    box.gate();
    const pad = '€'.repeat(600);
    for (let i = 0; i < 100; i++) t.log('info', `p${i}`, { pad });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(box.pending()).toBeGreaterThan(0);
    hideAndUnload();
    const atUnload = lost.requests.filter((r) => r.unloading);
    expect(storedOnce(atUnload).length).toBeGreaterThan(0);
    expect(storedOnce(atUnload).length).toBeLessThan(100);
    setVisibility('visible');
    // The next page load (same localStorage), with a working outbox and server.
    const server = dedupingServer();
    const next = testClient({ transport: server.transport, outbox: box.inner });
    await started();
    await next.flush();
    expect(storedOnce([...atUnload, ...server.requests])).toEqual(names('p', 100));
    expect(server.conflicting()).toEqual([]);
    expect(Object.keys(localStorage).filter((k) => k.includes('spill'))).toEqual([]);
    await next.shutdown();
    // The old page's writes never finish: stop it without waiting for them.
    await t.shutdown({ timeoutMs: 0 });
  });

  it('a leave does not encode batches the keepalive budget has no room for, and they arrive from the outbox later', async () => {
    const budget = createKeepaliveBudget();
    const earlier = budget.reserve(59_900); // an earlier leave's sends, still in flight
    const native = nativeEncoder({ endpoint: ENDPOINT });
    let encodedAtUnload = 0;
    const encoder: Encoder = {
      format: 'native',
      encode(entry, ctx) {
        if (ctx.unloading) encodedAtUnload++;
        return native.encode(entry, ctx);
      },
    };
    const outbox = memoryOutbox();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox,
      encoder,
      batchSize: 10_000,
      keepaliveBudget: budget,
    });
    await started();
    const pad = 'x'.repeat(200);
    for (let i = 0; i < 2_000; i++) t.log('info', `b${i}`, { pad });
    hideAndUnload();
    // Over 500 kB in memory and 100 B of budget left: nothing is worth encoding (was: every batch).
    expect(encodedAtUnload).toBe(0);
    expect(server.requests).toHaveLength(0);
    earlier?.();
    setVisibility('visible');
    await t.flush();
    expect(server.messages().sort()).toEqual(names('b', 2_000));
    await t.shutdown();
  });

  it('the pagehide right after a hide does not copy to the spill again what the hide copied', async () => {
    for (const outbox of [gatedOutbox().outbox, memoryOutbox()]) {
      const { t } = leavingPage(outbox);
      await started();
      for (let i = 0; i < 2_000; i++) t.log('info', `p${i}`, { pad: 'x'.repeat(200) });
      const setItem = vi.spyOn(localStorage, 'setItem');
      const spillWrites = () => setItem.mock.calls.filter(([key]) => key.includes('spill')).length;
      setVisibility('hidden');
      const atHide = spillWrites();
      expect(atHide).toBeGreaterThan(0);
      window.dispatchEvent(new Event('pagehide'));
      // Was: every entry the hide wrote serialised again (18 ms after 10,000 events in Chromium).
      expect(spillWrites()).toBe(atHide);
      setItem.mockRestore();
      setVisibility('visible');
      await t.shutdown({ timeoutMs: 0 });
      localStorage.clear();
    }
  });

  it('events only in memory beyond the budget survive a page whose IndexedDB write never commits (unload spill)', async () => {
    const box = gatedOutbox();
    const { t, lost } = leavingPage(box.outbox);
    await started();
    // Still in memory (within persistDelayMs), and three times one keepalive budget.
    const pad = '€'.repeat(600);
    for (let i = 0; i < 100; i++) t.log('info', `s${i}`, { pad });
    // The document is destroyed mid-write: no write started from here on ever commits.
    box.gate();
    hideAndUnload();
    const atUnload = lost.requests.filter((r) => r.unloading);
    expect(storedOnce(atUnload).length).toBeGreaterThan(0);
    expect(storedOnce(atUnload).length).toBeLessThan(100);
    await settle();
    expect(box.pending()).toBeGreaterThan(0);
    setVisibility('visible');

    // The next page load (same origin, so the same localStorage), with a working outbox and server.
    const server = dedupingServer();
    const next = testClient({ transport: server.transport, outbox: box.inner });
    await started();
    await next.flush();
    expect(storedOnce([...atUnload, ...server.requests])).toEqual(names('s', 100));
    expect(Object.keys(localStorage).filter((k) => k.includes('spill'))).toEqual([]);
    await next.shutdown();
    // The old page's writes never finish: stop it without waiting for them.
    await t.shutdown({ timeoutMs: 0 });
  });

  it('sends nothing while a Retry-After pause lasts, and keeps the batches due when it ends', async () => {
    fakeTimers();
    const outbox = memoryOutbox();
    const server = dedupingServer((_r, i) => (i === 0 ? HTTP(429, 120_000) : OK));
    const t = testClient({
      transport: server.transport,
      outbox,
      compress: false,
    });
    t.log('info', 'throttled');
    await t.flush();
    expect(server.requests).toHaveLength(1);
    t.log('info', 'hidden during the pause');
    setVisibility('hidden');
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    const stored = await outbox.run(readOp);
    expect(stored.every((e) => e.claimedBy === undefined)).toBe(true);
    const paused = t.status().pausedUntil!;
    expect(stored.find((e) => e.batch.logs[0]?.message === 'hidden during the pause')?.nextAttemptAt).toBe(
      paused,
    );
    setVisibility('visible');
    await vi.advanceTimersByTimeAsync(121_000);
    await t.flush();
    expect(server.messages()).toEqual(['hidden during the pause', 'throttled']);
    await t.shutdown();
  });
});

describe('status', () => {
  it('queued and buffered agree with the outbox after a leave and its settles', async () => {
    const outbox = memoryOutbox();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox,
      persistDelayMs: 10,
    });
    await started();
    t.log('info', 'stored first');
    await new Promise((r) => setTimeout(r, 100));
    expect((await outbox.run(readOp)).map((e) => e.open)).toEqual([true]);
    expect(t.status()).toMatchObject({ buffered: 0, queued: 1 });
    t.log('info', 'buffered');
    setVisibility('hidden');
    // Sent with keepalive: in flight, no longer buffered.
    expect(t.status().buffered).toBe(0);
    await vi.waitFor(() => expect(t.status()).toMatchObject({ sent: 2, queued: 0, inFlight: 0 }));
    expect(await outbox.run(readOp)).toEqual([]);
    await t.shutdown();
  });
});

describe('consent across tabs', () => {
  it('an opt-out in one tab stops another tab and a worker sharing the outbox', async () => {
    const outbox = memoryOutbox();
    const server = dedupingServer();
    const tabA = testClient({
      transport: server.transport,
      outbox,
    });
    const tabB = testClient({
      transport: server.transport,
      outbox,
    });
    await started();
    tabA.optOut();
    // Tab B missed the storage event (a worker never gets one): the outbox tells it.
    tabB.log('info', 'after the opt-out');
    await tabB.flush();
    expect(tabB.isEnabled()).toBe(false);
    expect(tabB.status().dropped.opted_out).toBe(1);
    expect(await outbox.run(readOp)).toEqual([]);
    // A worker's client created later sends nothing either.
    localStorage.clear(); // workers cannot read localStorage
    const worker = testClient({
      transport: server.transport,
      outbox,
    });
    worker.log('info', 'from the worker');
    await worker.flush();
    expect(server.requests).toEqual([]);
    await Promise.all([tabA.shutdown(), tabB.shutdown(), worker.shutdown()]);
  });

  it('stops at once on the storage event of another tab’s opt-out', async () => {
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
    });
    await started(); // the listener is added after start-up (it costs the caller's task otherwise)
    t.log('info', 'buffered before');
    window.dispatchEvent(new StorageEvent('storage', { key: CONSENT_KEY, newValue: 'out' }));
    expect(t.isEnabled()).toBe(false);
    t.log('info', 'ignored');
    await t.flush();
    setVisibility('hidden');
    expect(server.requests).toEqual([]);
    expect(t.status().dropped.opted_out).toBe(1);
    await t.shutdown();
  });

  it('opting in again clears the stored opt-out for every context', async () => {
    const outbox = memoryOutbox();
    const server = dedupingServer();
    const a = testClient({
      transport: server.transport,
      outbox,
    });
    a.optOut();
    a.optIn();
    a.log('info', 'back');
    await a.flush();
    expect(server.messages()).toEqual(['back']);
    await a.shutdown();
  });
});

describe('shutdown', () => {
  it('leaves no listener and no timer behind', async () => {
    fakeTimers();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
    });
    t.log('info', 'x');
    await t.shutdown();
    const sent = server.requests.length;
    expect(vi.getTimerCount()).toBe(0);
    setVisibility('hidden');
    window.dispatchEvent(new Event('pagehide'));
    window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.requests.length).toBe(sent);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('bursts and storms', () => {
  it('delivers a burst of 10,000 events logged in one task, with default options', async () => {
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
    });
    for (let i = 0; i < 10_000; i++) t.log('info', 'Quiz answered', { i });
    await t.flush();
    expect(server.messages()).toHaveLength(10_000);
    expect(Object.values(t.status().dropped).every((n) => n === 0)).toBe(true);
    await t.shutdown();
  });

  it('drops and counts a runaway repeated event past maxRepeatsPerMinute, and reports the count to the server', async () => {
    fakeTimers();
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
      maxRepeatsPerMinute: 100,
      compress: false,
    });
    for (let i = 0; i < 250; i++) t.log('error', 'render loop failed');
    t.log('info', 'something else');
    await t.flush();
    expect(t.status().dropped.storm).toBe(150);
    expect(server.messages().filter((m) => m === 'render loop failed')).toHaveLength(100);
    // A minute later the same message is let through again.
    await vi.advanceTimersByTimeAsync(61_000);
    t.log('error', 'render loop failed');
    await t.flush();
    expect(server.messages().filter((m) => m === 'render loop failed')).toHaveLength(101);
    const reports = server.requests
      .map((r) => (JSON.parse(bodyText(r)) as NativeBody).dropped)
      .filter(Boolean);
    expect(reports).toEqual([{ storm: 150 }]);
    await t.shutdown();
  });
});

describe('a memory outbox at leave', () => {
  it('sends the batches waiting in memory for a retry, since they die with the page', async () => {
    fakeTimers();
    const server = dedupingServer((r, i) => (i === 0 ? HTTP(503) : OK));
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
      retryBaseMs: 600_000,
      compress: false,
    });
    t.log('info', 'failed once');
    await t.flush();
    expect(t.status()).toMatchObject({ queued: 1, sent: 0 });
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(10);
    expect(server.messages()).toEqual(['failed once']);
    expect(server.requests[1]!.unloading).toBe(true);
    await t.shutdown();
  });

  const spilled = () => Object.keys(localStorage).filter((k) => k.includes('spill'));

  it('what does not fit the keepalive budget, or was sent but never answered, a later page sends from the spill', async () => {
    const { t, lost } = leavingPage(memoryOutbox(), { persistDelayMs: 10 });
    await started();
    // Three times one keepalive budget: a part is persisted (to memory), the rest still buffered.
    const pad = '€'.repeat(600);
    for (let i = 0; i < 50; i++) t.log('info', `m${i}`, { pad });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 50; i < 100; i++) t.log('info', `m${i}`, { pad });
    expect(t.status().storage).toBe('memory');
    hideAndUnload();
    await settle();
    // The page is gone: its keepalive sends never get an answer.
    expect(storedOnce(lost.requests.filter((r) => r.unloading)).length).toBeLessThan(100);
    setVisibility('visible');
    await t.shutdown({ timeoutMs: 0 });

    const server = dedupingServer();
    const next = testClient({ transport: server.transport, outbox: memoryOutbox() });
    await started();
    await next.flush();
    expect(storedOnce(server.requests)).toEqual(names('m', 100));
    expect(spilled()).toEqual([]);
    await next.shutdown();
  });

  it('a page that lives on removes its spill copies once their batches are settled', async () => {
    const server = dedupingServer();
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
      keepaliveBudget: createKeepaliveBudget(),
    });
    await started();
    t.log('info', 'kept');
    setVisibility('hidden');
    // Sent at once, and copied in case the page dies before the answer.
    expect(spilled()).toHaveLength(1);
    setVisibility('visible');
    await settle();
    expect(t.status()).toMatchObject({ sent: 1, queued: 0 });
    expect(spilled()).toEqual([]);
    expect(storedOnce(server.requests)).toEqual(['kept']);
    await t.shutdown();
  });

  it('a copy is removed when its batch is settled after the client stopped', async () => {
    let answer!: (result: SendResult) => void;
    const server = dedupingServer(() => new Promise<SendResult>((resolve) => (answer = resolve)));
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
      keepaliveBudget: createKeepaliveBudget(),
    });
    await started();
    t.log('info', 'settled late');
    setVisibility('hidden');
    setVisibility('visible');
    expect(spilled()).toHaveLength(1);
    await t.shutdown({ timeoutMs: 0 });
    answer(OK);
    await settle();
    expect(storedOnce(server.requests)).toEqual(['settled late']);
    expect(spilled()).toEqual([]);
  });

  it('clearQueued() removes the spill copies too, so no later page sends what was cleared', async () => {
    const { t, lost } = leavingPage(memoryOutbox());
    await started();
    t.log('info', 'cleared');
    setVisibility('hidden');
    setVisibility('visible');
    expect(spilled()).toHaveLength(1);
    await t.clearQueued();
    expect(spilled()).toEqual([]);
    expect(storedOnce(lost.requests)).toEqual(['cleared']);
    await t.shutdown({ timeoutMs: 0 });
  });

  /** A page over a memory outbox whose first request waits until the test answers it. */
  function pageWithDrainOut() {
    let answer!: (result: SendResult) => void;
    const server = dedupingServer((r, i) =>
      i === 0 ? new Promise<SendResult>((resolve) => (answer = resolve)) : OK,
    );
    const t = testClient({
      transport: server.transport,
      outbox: memoryOutbox(),
      compress: false,
      keepaliveBudget: createKeepaliveBudget(),
    });
    return { t, server, answer: (result: SendResult) => answer(result) };
  }

  it('sends again, with keepalive, a batch a drain is sending: the leaving page aborts that fetch', async () => {
    const { t, server, answer } = pageWithDrainOut();
    await started();
    t.log('info', 'in flight at leave');
    const flushed = t.flush();
    await settle();
    expect(server.requests).toHaveLength(1);
    hideAndUnload();
    await settle();
    // The navigation aborts the drain's fetch: the browser reports a network error.
    answer(OFFLINE);
    await flushed;
    await settle();
    expect(server.requests.map((r) => r.unloading)).toEqual([false, true]);
    expect(server.messages()).toEqual(['in flight at leave']);
    expect(t.status()).toMatchObject({ sent: 1, queued: 0, inFlight: 0 });
    await t.shutdown();
  });

  it('counts a batch once when both its drain and its resend at leave arrive (the page lived on)', async () => {
    const { t, server, answer } = pageWithDrainOut();
    await started();
    t.log('info', 'sent twice');
    const flushed = t.flush();
    await settle();
    setVisibility('hidden');
    window.dispatchEvent(new Event('pagehide'));
    setVisibility('visible');
    await settle();
    answer(OK);
    await flushed;
    await settle();
    expect(server.requests.map((r) => r.unloading)).toEqual([false, true]);
    expect(server.messages()).toEqual(['sent twice']);
    expect(t.status()).toMatchObject({ sent: 1, queued: 0, inFlight: 0 });
    await t.shutdown();
  });
});
