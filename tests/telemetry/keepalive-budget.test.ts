import { afterEach, describe, expect, it } from 'vitest';
import { utf8Length } from '../../src/telemetry/bytes.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import {
  createKeepaliveBudget,
  KEEPALIVE_MAX_BYTES,
  KEEPALIVE_MAX_REQUESTS,
  pageKeepaliveBudget,
} from '../../src/telemetry/keepalive-budget.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { bodyText, countOp, messages, recordingTransport, setVisibility, settle } from './helpers.js';

describe('keepalive budget', () => {
  it('defaults to the peers’ limits: 60,000 bytes and 9 requests in flight', () => {
    expect(KEEPALIVE_MAX_BYTES).toBe(60_000);
    expect(KEEPALIVE_MAX_REQUESTS).toBe(9);
    expect(KEEPALIVE_MAX_BYTES).toBeLessThan(64 * 1024);
  });

  it('accepts a body of exactly 60,000 bytes and refuses 60,001', () => {
    expect(createKeepaliveBudget().reserve(60_000)).not.toBeNull();
    expect(createKeepaliveBudget().reserve(60_001)).toBeNull();
  });

  it('counts the bytes of every request still in flight', () => {
    const budget = createKeepaliveBudget();
    expect(budget.reserve(40_000)).not.toBeNull();
    expect(budget.inFlightBytes).toBe(40_000);
    expect(budget.reserve(20_001)).toBeNull();
    expect(budget.reserve(20_000)).not.toBeNull();
    expect(budget.inFlightBytes).toBe(60_000);
    expect(budget.reserve(1)).toBeNull();
  });

  it('allows at most 9 requests in flight, however small', () => {
    const budget = createKeepaliveBudget();
    for (let i = 0; i < 9; i++) expect(budget.reserve(10)).not.toBeNull();
    expect(budget.inFlightRequests).toBe(9);
    expect(budget.reserve(1)).toBeNull();
    expect(budget.inFlightRequests).toBe(9);
    expect(budget.inFlightBytes).toBe(90);
  });

  it('leaves the counters unchanged when a reservation is refused', () => {
    const budget = createKeepaliveBudget();
    budget.reserve(50_000);
    expect(budget.reserve(20_000)).toBeNull();
    expect(budget.inFlightBytes).toBe(50_000);
    expect(budget.inFlightRequests).toBe(1);
  });

  it('restores bytes and the request slot on release', () => {
    const budget = createKeepaliveBudget();
    const release = budget.reserve(60_000)!;
    expect(budget.reserve(1)).toBeNull();
    release();
    expect(budget.inFlightBytes).toBe(0);
    expect(budget.inFlightRequests).toBe(0);
    expect(budget.reserve(60_000)).not.toBeNull();
  });

  it('frees a request slot so a tenth request fits after one of nine finishes', () => {
    const budget = createKeepaliveBudget();
    const releases = Array.from({ length: 9 }, () => budget.reserve(1)!);
    expect(budget.reserve(1)).toBeNull();
    releases[4]!();
    expect(budget.reserve(1)).not.toBeNull();
  });

  it('ignores a second release of the same reservation', () => {
    const budget = createKeepaliveBudget();
    const a = budget.reserve(30_000)!;
    budget.reserve(20_000);
    a();
    a();
    expect(budget.inFlightBytes).toBe(20_000);
    expect(budget.inFlightRequests).toBe(1);
    // The other reservation still holds its bytes: 40,001 more does not fit.
    expect(budget.reserve(40_001)).toBeNull();
  });

  it('measures a non-ASCII body in UTF-8 bytes, not string length', () => {
    const body = 'é'.repeat(30_001); // 30,001 characters, 60,002 bytes
    expect(body.length).toBeLessThan(KEEPALIVE_MAX_BYTES);
    expect(createKeepaliveBudget().reserve(utf8Length(body))).toBeNull();
    const fits = '€'.repeat(20_000); // 60,000 bytes
    expect(createKeepaliveBudget().reserve(utf8Length(fits))).not.toBeNull();
  });

  it('honours custom limits', () => {
    const budget = createKeepaliveBudget(100, 2);
    expect(budget.reserve(101)).toBeNull();
    expect(budget.reserve(60)).not.toBeNull();
    expect(budget.reserve(40)).not.toBeNull();
    expect(budget.reserve(0)).toBeNull();
  });

  it('shares one page-wide budget that starts empty', () => {
    expect(pageKeepaliveBudget.inFlightBytes).toBe(0);
    expect(pageKeepaliveBudget.inFlightRequests).toBe(0);
    const release = pageKeepaliveBudget.reserve(1000)!;
    expect(pageKeepaliveBudget.inFlightBytes).toBe(1000);
    release();
    expect(pageKeepaliveBudget.inFlightBytes).toBe(0);
  });
});

describe('the page-wide keepalive budget', () => {
  afterEach(() => {
    setVisibility('visible');
  });

  it('is shared by two clients of one page: together their unload sends stay within 60,000 bytes', async () => {
    // About 40 KB of events in each client: either fits the budget alone, both together do not.
    const text = (client: string, i: number): string =>
      `${client}-${String(i).padStart(3, '0')}:${'x'.repeat(480)}`;
    const clients = ['one', 'two'].map((name) => {
      const wire = recordingTransport();
      const outbox = memoryOutbox();
      const t = createTelemetry({
        sessionEvents: false,
        endpoint: 'https://telemetry.example.com/ingest',
        token: 'tok',
        transport: wire.transport,
        outbox,
        locks: null,
      });
      for (let i = 0; i < 80; i++) t.log('info', text(name, i));
      return { name, t, wire, outbox };
    });
    expect(pageKeepaliveBudget.inFlightBytes).toBe(0);

    setVisibility('hidden');

    const unloading = clients.flatMap((c) => c.wire.requests.filter((r) => r.unloading));
    const unloadBytes = unloading.map((r) => utf8Length(bodyText(r)));
    expect(unloadBytes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(KEEPALIVE_MAX_BYTES);
    // One client's batch went with keepalive, and it really was about 40 KB.
    expect(unloading).toHaveLength(1);
    expect(unloadBytes[0]).toBeGreaterThan(35_000);
    // The second client's batch did not go with keepalive.
    expect(clients[1]!.wire.requests.filter((r) => r.unloading)).toEqual([]);

    // Nothing is lost: the second client stores its batch and sends it later, without keepalive.
    await settle(50);
    for (const c of clients) {
      const sent = messages(c.wire.bodies);
      const stored = await c.outbox.run(countOp());
      expect(new Set(sent).size + stored).toBe(80);
    }
    expect(clients[1]!.wire.requests.every((r) => !r.unloading)).toBe(true);
    expect(pageKeepaliveBudget.inFlightBytes).toBe(0);
    await Promise.all(clients.map((c) => c.t.shutdown()));
  });
});
