import { gunzipSync } from 'node:zlib';
import { vi } from 'vitest';
import {
  entryKey,
  META,
  PAYLOAD,
  type EntryMeta,
  type OutboxEntry,
  type OutboxOp,
  type Payload,
} from '../../src/telemetry/outbox.js';
import { createTelemetry, type Telemetry } from '../../src/telemetry/client.js';
import type { TelemetryOptions } from '../../src/telemetry/config.js';
import type { NativeBody } from '../../src/telemetry/records.js';
import type { SendRequest, SendResult, Transport } from '../../src/telemetry/transport.js';

export const ENDPOINT = 'http://127.0.0.1:8787/ingest';

/**
 * A client for tests: the given options over an endpoint, without the session_start / session_end
 * logs (tests count the events they record; session.test.ts covers those).
 */
export function testClient(options: TelemetryOptions = {}): Telemetry {
  return createTelemetry({ sessionEvents: false, endpoint: ENDPOINT, ...options });
}

export const OK: SendResult = { outcome: 'ok', status: 200 };
export const OFFLINE: SendResult = {
  outcome: 'retry',
  status: 0,
  error: 'TypeError: Failed to fetch',
  countsAsAttempt: false,
};
export const HTTP = (status: number, retryAfterMs?: number): SendResult =>
  status < 300
    ? { outcome: 'ok', status }
    : status === 408 || status === 429 || status >= 500
      ? {
          outcome: 'retry',
          status,
          error: `HTTP ${status}`,
          countsAsAttempt: retryAfterMs === undefined && status !== 429,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        }
      : { outcome: 'drop', status, error: `HTTP ${status}` };

/** A request's body as text: gunzipped when the client compressed it. */
export function bodyText(request: SendRequest): string {
  if (typeof request.body === 'string') return request.body;
  if (request.encoding !== 'gzip') throw new Error('binary body without gzip encoding');
  return gunzipSync(request.body).toString('utf8');
}

/**
 * A transport that records every request and answers from `answer` (default: 200). Bodies are
 * parsed so tests can assert on what went over the wire.
 */
export function recordingTransport(
  answer: (request: SendRequest, index: number) => SendResult | Promise<SendResult> = () => OK,
) {
  const requests: SendRequest[] = [];
  const bodies: NativeBody[] = [];
  const transport: Transport = {
    async send(request) {
      requests.push(request);
      bodies.push(JSON.parse(bodyText(request)) as NativeBody);
      return answer(request, requests.length - 1);
    },
  };
  return { transport, requests, bodies };
}

/** Fake only the timers the client uses; fake-indexeddb schedules with setImmediate, which stays real. */
export function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

export function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Lets promise chains and IndexedDB callbacks settle. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export const messages = (bodies: NativeBody[]): string[] =>
  bodies.flatMap((b) => b.logs.map((l) => l.message));

/** A seeded PRNG (mulberry32), so a randomised test runs the same every time and a failure replays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stored outbox entry of `count` logs, unclaimed and due, for tests that seed an outbox by hand. */
export function outboxEntry(
  createdAt: number,
  batchId: string,
  count = 1,
  message: (i: number) => string = (i) => `${batchId}#${i}`,
): OutboxEntry {
  return {
    key: entryKey(createdAt, batchId),
    batchId,
    createdAt,
    batch: {
      sessionId: 'session-1',
      resource: { app: 'app', version: '0.0.0' },
      logs: Array.from({ length: count }, (_, i) => ({
        timestamp: createdAt + i,
        level: 'info' as const,
        message: message(i),
        context: {},
      })),
      traces: [],
      metrics: [],
    },
    count,
    bytes: 10 * count,
    owner: 'page-a',
    open: false,
    attempts: 0,
    nextAttemptAt: 0,
  };
}

/** Writes entries as the outbox stores them (metadata and payload), adding them to the totals. */
export const putOp =
  (...entries: OutboxEntry[]): OutboxOp<void> =>
  async (tx) => {
    const totals = (await tx.get<{ events: number; bytes: number }>('totals')) ?? { events: 0, bytes: 0 };
    for (const { batch, ...meta } of entries) {
      const before = await tx.get<EntryMeta>(META + meta.key);
      tx.put(META + meta.key, meta);
      tx.put(PAYLOAD + meta.key, batch);
      totals.events += meta.count - (before?.count ?? 0);
      totals.bytes += meta.bytes - (before?.bytes ?? 0);
    }
    tx.put('totals', totals);
  };

/** Every stored entry, oldest first, with its payload. */
export const readOp: OutboxOp<OutboxEntry[]> = async (tx) => {
  const metas: EntryMeta[] = [];
  await tx.scan((m) => void metas.push(m));
  const out: OutboxEntry[] = [];
  for (const m of metas) out.push({ ...m, batch: (await tx.get<Payload>(PAYLOAD + m.key))! });
  return out;
};

/** Counts the events stored in an outbox, by reading every entry (not the running totals). */
export const countOp = (): OutboxOp<number> => async (tx) =>
  (await readOp(tx)).reduce((n, e) => n + e.count, 0);

/** The running totals the outbox keeps. */
export const totalsOp: OutboxOp<{ events: number; bytes: number } | undefined> = (tx) => tx.get('totals');

/**
 * An in-memory LockManager with exclusive locks: a request waits while its name is held, and the
 * lock is held until the promise its callback returned settles, as in the Web Locks API.
 */
export function fakeLockManager() {
  const held = new Set<string>();
  const waiting: { name: string; grant: () => void }[] = [];
  const requests: string[] = [];
  // While `slow`, free locks are granted only by grantSlow(), as a busy browser grants them late.
  const control = { slow: false, late: [] as (() => void)[] };
  const manager = {
    request(name: string, callback: (lock: Lock | null) => unknown): Promise<unknown> {
      requests.push(name);
      return new Promise((resolve, reject) => {
        const grant = (): void => {
          held.add(name);
          Promise.resolve()
            .then(() => callback({ name, mode: 'exclusive' }))
            .then(resolve, reject)
            .finally(() => {
              held.delete(name);
              const next = waiting.findIndex((w) => w.name === name);
              if (next >= 0) waiting.splice(next, 1)[0]!.grant();
            });
        };
        if (held.has(name)) waiting.push({ name, grant });
        else if (control.slow) control.late.push(grant);
        else grant();
      });
    },
    query: (): Promise<LockManagerSnapshot> =>
      Promise.resolve({
        held: [...held].map((name) => ({ name, mode: 'exclusive' as const, clientId: 'client' })),
        pending: waiting.map(({ name }) => ({ name, mode: 'exclusive' as const, clientId: 'client' })),
      }),
  };
  return {
    locks: manager as unknown as LockManager,
    held,
    waiting,
    requests,
    control,
    grantSlow: () => control.late.splice(0).forEach((grant) => grant()),
  };
}
