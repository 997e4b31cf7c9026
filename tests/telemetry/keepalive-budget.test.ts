import { describe, expect, it } from 'vitest';
import { utf8Length } from '../../src/telemetry/bytes.js';
import {
  createKeepaliveBudget,
  KEEPALIVE_MAX_BYTES,
  KEEPALIVE_MAX_REQUESTS,
  pageKeepaliveBudget,
} from '../../src/telemetry/keepalive-budget.js';

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
