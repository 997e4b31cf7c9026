import { describe, expect, it } from 'vitest';
import { entryKey, type OutboxEntry, type OutboxOp } from '../../src/telemetry/outbox.js';
import {
  appendOp,
  claimOp,
  dropOldestItems,
  markClaimedOp,
  settleOp,
  type AppendParams,
  type AppendResult,
  type ClaimParams,
  type SizedItem,
} from '../../src/telemetry/outbox-ops.js';
import type { Kind, LogRecord, MetricRecord, SpanRecord } from '../../src/telemetry/records.js';

const log = (timestamp: number): LogRecord => ({
  timestamp,
  level: 'info',
  message: `log@${timestamp}`,
  context: {},
});
const metric = (timestamp: number): MetricRecord => ({
  timestamp,
  name: 'lcp',
  value: timestamp,
  labels: {},
});
const span = (timestamp: number): SpanRecord => ({
  timestamp,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  name: `span@${timestamp}`,
  duration: 5,
  attributes: {},
});

function sized(timestamp: number, bytes = 10, kind: Kind = 'logs'): SizedItem {
  const item = kind === 'logs' ? log(timestamp) : kind === 'metrics' ? metric(timestamp) : span(timestamp);
  return { kind, item, bytes };
}

/** Ids handed out in the order given. */
function ids(...list: string[]): () => string {
  let i = 0;
  return () => list[i++] ?? `auto-${i}`;
}

function appendParams(overrides: Partial<AppendParams> = {}): AppendParams {
  return {
    owner: 'page-a',
    openKey: null,
    items: [sized(1)],
    sessionId: 'session-1',
    now: 1_000,
    newId: ids('b1', 'b2', 'b3', 'b4'),
    maxBytes: 1_000,
    maxEvents: 100,
    ...overrides,
  };
}

/** Applies an op the way an outbox does: delete, then put, then keep key order. */
function apply<R>(entries: OutboxEntry[], op: OutboxOp<R>): { entries: OutboxEntry[]; result: R } {
  const change = op(entries);
  const map = new Map(entries.map((e) => [e.key, e]));
  for (const key of change.del) map.delete(key);
  for (const e of change.put) map.set(e.key, structuredClone(e));
  const next = [...map.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { entries: next, result: change.result };
}

function entry(
  createdAt: number,
  batchId: string,
  timestamps: number[],
  extra: Partial<OutboxEntry> = {},
): OutboxEntry {
  return {
    key: entryKey(createdAt, batchId),
    batch: { batchId, createdAt, sessionId: 'session-1', logs: timestamps.map(log), traces: [], metrics: [] },
    count: timestamps.length,
    bytes: timestamps.length * 11,
    owner: 'page-a',
    open: false,
    attempts: 0,
    nextAttemptAt: 0,
    ...extra,
  };
}

const timestampsOf = (entries: OutboxEntry[]): number[] =>
  entries
    .flatMap((e) => [...e.batch.logs, ...e.batch.traces, ...e.batch.metrics].map((i) => i.timestamp))
    .sort((a, b) => a - b);

describe('entryKey', () => {
  it('sorts as a string by creation time first, numerically', () => {
    const late = entryKey(100_000, 'a');
    const early = entryKey(3, 'z');
    const middle = entryKey(20, 'a');
    expect([late, early, middle].sort()).toEqual([early, middle, late]);
    expect(entryKey(1_700_000_000_000, 'id')).toMatch(/^001700000000000-\d+-id$/);
  });

  it('keeps creation order within one millisecond, whatever the batch ids', () => {
    const keys = ['zz', 'mm', 'aa'].map((id) => entryKey(5_000, id));
    expect([...keys].sort()).toEqual(keys);
  });

  it('clamps negative and fractional times', () => {
    expect(entryKey(-5, 'n')).toMatch(/^000000000000000-\d+-n$/);
    expect(entryKey(12.9, 'f')).toMatch(/^000000000000012-\d+-f$/);
  });
});

describe('appendOp', () => {
  it('starts an open entry owned by the page on the first append', () => {
    const { entries, result } = apply([], appendOp(appendParams({ items: [sized(1, 10), sized(2, 20)] })));
    expect(entries).toEqual([
      {
        key: expect.stringMatching(/^000000000001000-\d+-b1$/) as string,
        batch: {
          batchId: 'b1',
          createdAt: 1_000,
          sessionId: 'session-1',
          logs: [log(1), log(2)],
          traces: [],
          metrics: [],
        },
        count: 2,
        bytes: 32, // each item's JSON plus a separating comma
        owner: 'page-a',
        open: true,
        attempts: 0,
        nextAttemptAt: 0,
      },
    ]);
    expect(result).toEqual({ openKey: entries[0]!.key, open: entries[0], dropped: 0, queued: 2 });
  });

  it('sorts each item into its kind', () => {
    const { entries } = apply(
      [],
      appendOp(
        appendParams({ items: [sized(1, 10, 'logs'), sized(2, 10, 'metrics'), sized(3, 10, 'traces')] }),
      ),
    );
    expect(entries[0]!.batch).toMatchObject({ logs: [log(1)], metrics: [metric(2)], traces: [span(3)] });
  });

  it('appends to the open entry while it is unclaimed', () => {
    const first = apply([], appendOp(appendParams({ items: [sized(1)] })));
    const second = apply(
      first.entries,
      appendOp(
        appendParams({
          openKey: first.result.openKey,
          items: [sized(2), sized(3)],
          now: 2_000,
          newId: ids('x'),
        }),
      ),
    );
    expect(second.entries).toHaveLength(1);
    expect(second.entries[0]!.key).toBe(first.result.openKey);
    expect(second.entries[0]!.batch.logs).toEqual([log(1), log(2), log(3)]);
    expect(second.entries[0]!.count).toBe(3);
    expect(second.entries[0]!.bytes).toBe(33);
    expect(second.result).toMatchObject({ openKey: first.result.openKey, queued: 3, dropped: 0 });
  });

  it('does not modify the entries it is given', () => {
    const first = apply([], appendOp(appendParams()));
    const snapshot = structuredClone(first.entries);
    appendOp(appendParams({ openKey: first.result.openKey, items: [sized(2)] }))(first.entries);
    expect(first.entries).toEqual(snapshot);
  });

  it('starts a new entry when the open one has been claimed for sending', () => {
    const first = apply([], appendOp(appendParams({ items: [sized(1)] })));
    const claimed = apply(
      first.entries,
      claimOp({ owner: 'page-b', now: 1_500, leaseMs: 60_000, maxAgeMs: 1e9, limit: 10 }),
    );
    const op = (): OutboxOp<AppendResult> =>
      appendOp(
        appendParams({ openKey: first.result.openKey, items: [sized(2)], now: 2_000, newId: ids('b2') }),
      );
    const change = op()(claimed.entries);
    // The claimed batch is not written at all: its content is what is being sent.
    expect(change.put.map((e) => e.batch.batchId)).toEqual(['b2']);
    expect(change.del).toEqual([]);
    const after = apply(claimed.entries, op());
    expect(after.entries.find((e) => e.key === first.result.openKey)!.batch.logs).toEqual([log(1)]);
    expect(after.result.openKey).toBe(after.entries.find((e) => e.batch.batchId === 'b2')!.key);
  });

  it('starts a new entry when the open key is gone, closed or owned by another page', () => {
    const gone = apply([], appendOp(appendParams({ openKey: entryKey(5, 'deleted'), newId: ids('n1') })));
    expect(gone.entries.map((e) => e.batch.batchId)).toEqual(['n1']);

    const closed = entry(500, 'c', [1], { open: false });
    const afterClosed = apply([closed], appendOp(appendParams({ openKey: closed.key, newId: ids('n2') })));
    expect(afterClosed.entries.map((e) => e.count)).toEqual([1, 1]);

    const foreign = entry(500, 'f', [1], { open: true, owner: 'page-z' });
    const afterForeign = apply([foreign], appendOp(appendParams({ openKey: foreign.key, newId: ids('n3') })));
    expect(afterForeign.entries.find((e) => e.key === foreign.key)!.count).toBe(1);
    expect(afterForeign.result.open!.batch.batchId).toBe('n3');
  });

  it('starts a new entry when the byte budget is full, closing the full one', () => {
    const { entries, result } = apply(
      [],
      appendOp(appendParams({ maxBytes: 100, items: [sized(1, 40), sized(2, 40), sized(3, 40)] })),
    );
    expect(
      entries.map((e) => ({ logs: e.batch.logs.map((l) => l.timestamp), open: e.open, bytes: e.bytes })),
    ).toEqual([
      { logs: [1, 2], open: false, bytes: 82 },
      { logs: [3], open: true, bytes: 41 },
    ]);
    expect(result.openKey).toBe(entries[1]!.key);
    expect(result.queued).toBe(3);
  });

  it('closes the stored open entry when the next item does not fit it', () => {
    const first = apply([], appendOp(appendParams({ maxBytes: 100, items: [sized(1, 70)] })));
    const second = apply(
      first.entries,
      appendOp(
        appendParams({
          maxBytes: 100,
          openKey: first.result.openKey,
          items: [sized(2, 70)],
          newId: ids('b2'),
        }),
      ),
    );
    expect(second.entries.map((e) => [e.batch.batchId, e.open, e.count])).toEqual([
      ['b1', false, 1],
      ['b2', true, 1],
    ]);
  });

  it('keeps one item larger than the whole budget, alone in its entry', () => {
    const { entries } = apply(
      [],
      appendOp(appendParams({ maxBytes: 100, items: [sized(1, 500), sized(2, 10)] })),
    );
    expect(entries.map((e) => e.count)).toEqual([1, 1]);
  });

  it('caps total events, dropping the oldest and returning how many', () => {
    const old = entry(100, 'old', [1, 2, 3, 4]);
    const { entries, result } = apply(
      [old],
      appendOp(appendParams({ maxEvents: 5, items: [sized(10), sized(11), sized(12)] })),
    );
    expect(result.dropped).toBe(2);
    expect(result.queued).toBe(5);
    expect(timestampsOf(entries)).toEqual([3, 4, 10, 11, 12]);
    expect(entries.find((e) => e.key === old.key)!.count).toBe(2);
  });

  it('deletes whole old entries when the excess covers them', () => {
    const a = entry(100, 'a', [1, 2]);
    const b = entry(200, 'b', [3, 4]);
    const op = appendOp(appendParams({ maxEvents: 3, items: [sized(10), sized(11)] }));
    expect(op([a, b]).del).toContain(a.key);
    const { entries, result } = apply([a, b], op);
    expect(timestampsOf(entries)).toEqual([4, 10, 11]);
    expect(result).toMatchObject({ dropped: 1 + 2, queued: 3 });
  });

  it('never drops events from a claimed entry (it is being sent)', () => {
    const sending = entry(100, 'sending', [1, 2, 3, 4], { claimedBy: 'page-b', claimedAt: 900 });
    const younger = entry(200, 'younger', [5, 6]);
    const op = appendOp(appendParams({ maxEvents: 5, items: [sized(10), sized(11)] }));
    const change = op([sending, younger]);
    expect(change.del).not.toContain(sending.key);
    expect(change.put.map((e) => e.key)).not.toContain(sending.key);
    const { entries, result } = apply([sending, younger], op);
    expect(entries.find((e) => e.key === sending.key)).toEqual(sending);
    expect(timestampsOf(entries)).toEqual([1, 2, 3, 4, 11]);
    expect(result).toMatchObject({ dropped: 3, queued: 5 });
  });

  it('drops the new events themselves when everything older is claimed, leaving no open entry', () => {
    const sending = entry(100, 'sending', [1, 2, 3], { claimedBy: 'page-b', claimedAt: 900 });
    const { entries, result } = apply(
      [sending],
      appendOp(appendParams({ maxEvents: 3, items: [sized(10), sized(11)] })),
    );
    expect(entries).toEqual([sending]);
    expect(result).toEqual({ openKey: null, open: null, dropped: 2, queued: 3 });
  });

  it('returns the open entry as stored, after any trimming', () => {
    const { entries, result } = apply(
      [],
      appendOp(appendParams({ maxEvents: 2, items: [sized(1), sized(2), sized(3)] })),
    );
    expect(result.open).toEqual(entries[0]);
    expect(result.open!.batch.logs).toEqual([log(2), log(3)]);
  });

  it('drops the oldest events even when one append spills into several entries in the same millisecond', () => {
    // Batch ids are random: the later entry's id may sort before the earlier one's.
    const { entries, result } = apply(
      [],
      appendOp(
        appendParams({
          maxBytes: 100,
          maxEvents: 2,
          newId: ids('zz', 'yy', 'xx'),
          items: [sized(1, 60), sized(2, 60), sized(3, 60)],
        }),
      ),
    );
    expect(result.dropped).toBe(1);
    expect(timestampsOf(entries)).toEqual([2, 3]);
  });
});

describe('claimOp', () => {
  const claim = (
    overrides: Partial<ClaimParams> = {},
  ): OutboxOp<ReturnType<ReturnType<typeof claimOp>>['result']> =>
    claimOp({ owner: 'page-a', now: 10_000, leaseMs: 60_000, maxAgeMs: 1_000_000, limit: 10, ...overrides });

  it('claims due entries oldest first, closing them to appends', () => {
    const a = entry(100, 'a', [1], { open: true });
    const b = entry(200, 'b', [2, 3]);
    const { entries, result } = apply(
      [b, a].sort((x, y) => (x.key < y.key ? -1 : 1)),
      claim(),
    );
    expect(result.claimed.map((e) => e.key)).toEqual([a.key, b.key]);
    expect(result.claimed[0]).toMatchObject({ open: false, claimedBy: 'page-a', claimedAt: 10_000 });
    expect(entries.every((e) => e.claimedBy === 'page-a' && e.claimedAt === 10_000 && !e.open)).toBe(true);
    expect(result).toMatchObject({ expired: 0, queued: 3, nextAttemptAt: null });
  });

  it('claims at most `limit` entries', () => {
    const list = [entry(1, 'a', [1]), entry(2, 'b', [2]), entry(3, 'c', [3])];
    const { entries, result } = apply(list, claim({ limit: 2 }));
    expect(result.claimed.map((e) => e.batch.batchId)).toEqual(['a', 'b']);
    expect(entries.find((e) => e.batch.batchId === 'c')!.claimedBy).toBeUndefined();
    expect(result.queued).toBe(3);
  });

  it('leaves entries waiting for a retry and reports the earliest nextAttemptAt', () => {
    const list = [
      entry(1, 'a', [1], { nextAttemptAt: 50_000 }),
      entry(2, 'b', [2], { nextAttemptAt: 20_000 }),
      entry(3, 'c', [3], { nextAttemptAt: 10_000 }),
    ];
    const { result } = apply(list, claim());
    expect(result.claimed.map((e) => e.batch.batchId)).toEqual(['c']);
    expect(result.nextAttemptAt).toBe(20_000);
  });

  it('skips entries claimed by another page within the lease', () => {
    const list = [entry(1, 'a', [1, 2], { claimedBy: 'page-b', claimedAt: 9_000 }), entry(2, 'b', [3])];
    const change = claim()(list);
    expect(change.result.claimed.map((e) => e.batch.batchId)).toEqual(['b']);
    expect(change.put.map((e) => e.batch.batchId)).toEqual(['b']);
    expect(change.result.queued).toBe(3);
  });

  it('takes over a claim older than the lease (its page died mid-send)', () => {
    const stale = entry(1, 'a', [1], { claimedBy: 'page-b', claimedAt: 10_000 - 60_001 });
    const { result } = apply([stale], claim());
    expect(result.claimed).toHaveLength(1);
    expect(result.claimed[0]).toMatchObject({ claimedBy: 'page-a', claimedAt: 10_000 });
  });

  it('does not take over a claim exactly at the lease', () => {
    const held = entry(1, 'a', [1], { claimedBy: 'page-b', claimedAt: 10_000 - 60_000 });
    expect(claim()([held]).result.claimed).toEqual([]);
  });

  it('deletes expired entries and counts their events, even ones claimed by another page', () => {
    const list = [
      entry(100, 'old', [1, 2, 3]),
      entry(200, 'old-claimed', [4], { claimedBy: 'page-b', claimedAt: 9_999 }),
      entry(9_000, 'fresh', [5]),
    ];
    const { entries, result } = apply(list, claim({ maxAgeMs: 5_000 }));
    expect(entries.map((e) => e.batch.batchId)).toEqual(['fresh']);
    expect(result).toMatchObject({ expired: 4, queued: 1 });
    expect(result.claimed.map((e) => e.batch.batchId)).toEqual(['fresh']);
  });

  it('keeps an entry exactly at the maximum age', () => {
    const { result } = apply([entry(5_000, 'edge', [1])], claim({ maxAgeMs: 5_000 }));
    expect(result).toMatchObject({ expired: 0, queued: 1 });
  });

  it('reports nothing on an empty outbox', () => {
    expect(claim()([])).toEqual({
      put: [],
      del: [],
      result: { claimed: [], expired: 0, queued: 0, nextAttemptAt: null },
    });
  });
});

describe('settleOp', () => {
  const claimed = entry(1, 'a', [1, 2], { claimedBy: 'page-a', claimedAt: 5, attempts: 1 });

  it('deletes a delivered entry and returns its event count', () => {
    const { entries, result } = apply([claimed], settleOp(claimed.key, null));
    expect(entries).toEqual([]);
    expect(result).toBe(2);
  });

  it('releases a failed entry with its new attempt count and time, unclaimed and closed', () => {
    const { entries, result } = apply(
      [claimed],
      settleOp(claimed.key, { attempts: 2, nextAttemptAt: 99_000 }),
    );
    expect(result).toBe(2);
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ attempts: 2, nextAttemptAt: 99_000, open: false, count: 2 });
    expect('claimedBy' in e).toBe(false);
    expect('claimedAt' in e).toBe(false);
    expect(e.batch).toEqual(claimed.batch);
  });

  it('lets a released entry be claimed again once it is due', () => {
    const released = apply([claimed], settleOp(claimed.key, { attempts: 2, nextAttemptAt: 99_000 })).entries;
    const op = (now: number) => claimOp({ owner: 'page-c', now, leaseMs: 60_000, maxAgeMs: 1e9, limit: 5 });
    expect(op(98_999)(released).result.claimed).toEqual([]);
    expect(op(99_000)(released).result.claimed).toHaveLength(1);
  });

  it('changes nothing and returns 0 when the entry is already gone', () => {
    expect(settleOp('missing', null)([claimed])).toEqual({ put: [], del: [], result: 0 });
    expect(settleOp('missing', { attempts: 1, nextAttemptAt: 1 })([claimed])).toEqual({
      put: [],
      del: [],
      result: 0,
    });
  });
});

describe('markClaimedOp', () => {
  it('records entries sent at unload as claimed by the page', () => {
    const open = entry(1, 'a', [1], { open: true });
    const { entries } = apply([open], markClaimedOp('page-a', 777, [open]));
    expect(entries[0]).toMatchObject({
      open: false,
      claimedBy: 'page-a',
      claimedAt: 777,
      claimKind: 'unload',
    });
  });
});

describe('dropOldestItems', () => {
  function mixed(): OutboxEntry {
    const e = entry(1, 'm', []);
    e.batch.logs = [log(1), log(5)];
    e.batch.traces = [span(3)];
    e.batch.metrics = [metric(2), metric(4)];
    e.count = 5;
    e.bytes = 100;
    return e;
  }

  it('removes the items with the earliest timestamps, across kinds', () => {
    const e = mixed();
    dropOldestItems(e, 2);
    expect(e.batch.logs).toEqual([log(5)]);
    expect(e.batch.metrics).toEqual([metric(4)]);
    expect(e.batch.traces).toEqual([span(3)]);
    expect(e.count).toBe(3);
    expect(e.bytes).toBe(60);
  });

  it('stops when the entry is empty', () => {
    const e = mixed();
    dropOldestItems(e, 50);
    expect(e.count).toBe(0);
    expect(e.batch).toMatchObject({ logs: [], traces: [], metrics: [] });
    expect(e.bytes).toBe(0);
  });

  it('changes nothing when asked to drop none', () => {
    const e = mixed();
    const before = structuredClone(e);
    dropOldestItems(e, 0);
    expect(e).toEqual(before);
  });
});
