import { describe, expect, it } from 'vitest';
import {
  memoryOutbox,
  META,
  PAYLOAD,
  type Outbox,
  type OutboxEntry,
  type OutboxOp,
} from '../../src/telemetry/outbox.js';
import {
  appendOp,
  claimOp,
  consentOp,
  fill,
  leaveOp,
  optInOp,
  optOutOp,
  settleOp,
  type AppendResult,
  type ClaimParams,
  type EntryTemplate,
  type SizedItem,
  OPEN_GRACE_MS,
} from '../../src/telemetry/outbox-ops.js';
import type { Kind, LogRecord, MetricRecord, SpanRecord } from '../../src/telemetry/records.js';
import { countOp, outboxEntry, putOp, readOp, seeded, totalsOp } from './helpers.js';

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

/** Ids handed out in the order given, then `auto-<n>`. */
function ids(...list: string[]): () => string {
  let i = 0;
  return () => list[i++] ?? `auto-${i}`;
}

const RESOURCE = { app: 'app', version: '1.0.0' };

function template(overrides: Partial<EntryTemplate> = {}): EntryTemplate {
  return {
    owner: 'page-a',
    sessionId: 'session-1',
    resource: RESOURCE,
    now: 1_000,
    newId: ids('b1', 'b2', 'b3', 'b4', 'b5', 'b6'),
    maxBytes: 1_000,
    ...overrides,
  };
}

interface Append {
  open?: OutboxEntry | null;
  items?: SizedItem[];
  t?: EntryTemplate;
  seal?: boolean;
  maxEvents?: number;
  maxQueueBytes?: number;
  /** Changes the plan before it is written (e.g. the pipeline's drop counts). */
  edit?: (planned: OutboxEntry[]) => void;
}

/** Plans with `fill` and writes with `appendOp`, as the pipeline does. */
function append(outbox: Outbox, a: Append = {}): Promise<AppendResult> {
  const t = a.t ?? template();
  const open = a.open ?? null;
  const items = a.items ?? [sized(1)];
  const planned = fill(open, items, t);
  a.edit?.(planned);
  return outbox.run(
    appendOp({
      template: t,
      open,
      items,
      planned,
      seal: a.seal ?? false,
      maxEvents: a.maxEvents ?? 1_000,
      maxQueueBytes: a.maxQueueBytes ?? 1e9,
    }),
  );
}

/** A stored entry of `count` logs, with the given state. */
function entry(createdAt: number, batchId: string, count = 1, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return { ...outboxEntry(createdAt, batchId, count), ...extra };
}

async function seed(...entries: OutboxEntry[]): Promise<Outbox> {
  const outbox = memoryOutbox();
  await outbox.run(putOp(...entries));
  return outbox;
}

/** Page b claims everything due, page a's open entry included: page a is gone (no Web Lock). */
const takeOver = async (outbox: Outbox): Promise<string[]> => {
  const r = await outbox.run(
    claimOp({
      owner: 'page-b',
      now: 1_500,
      leaseMs: 60_000,
      live: new Set(['page-b']),
      maxAgeMs: 1e9,
      limit: 10,
    }),
  );
  expect(r.claimed.length).toBeGreaterThan(0);
  return r.claimed.map((e) => e.key);
};

const stored = (outbox: Outbox) => outbox.run(readOp);
const byId = async (outbox: Outbox, batchId: string) =>
  (await stored(outbox)).find((e) => e.batchId === batchId);
const timestamps = (entries: OutboxEntry[]): number[] =>
  entries.flatMap((e) => [...e.batch.logs, ...e.batch.traces, ...e.batch.metrics].map((i) => i.timestamp));

/** The totals recomputed from every stored entry. */
const actualTotalsOp: OutboxOp<{ events: number; bytes: number }> = async (tx) => {
  const all = await readOp(tx);
  return { events: all.reduce((n, e) => n + e.count, 0), bytes: all.reduce((n, e) => n + e.bytes, 0) };
};

async function expectConsistentTotals(outbox: Outbox): Promise<void> {
  const totals = (await outbox.run(totalsOp)) ?? { events: 0, bytes: 0 };
  expect(totals).toEqual(await outbox.run(actualTotalsOp));
  expect(totals.events).toBe(await outbox.run(countOp()));
}

describe('fill', () => {
  it('starts an open entry owned by the page, counting each item’s bytes and a comma', () => {
    const t = template();
    const [e, ...rest] = fill(null, [sized(1, 10), sized(2, 20)], t);
    expect(rest).toEqual([]);
    expect(e).toEqual({
      key: expect.stringMatching(/^000000000001000-\d{6}-b1$/) as string,
      batchId: 'b1',
      createdAt: 1_000,
      count: 2,
      bytes: 32,
      owner: 'page-a',
      open: true,
      attempts: 0,
      nextAttemptAt: 0,
      batch: { sessionId: 'session-1', resource: RESOURCE, logs: [log(1), log(2)], traces: [], metrics: [] },
    });
  });

  it('sorts each item into its kind', () => {
    const [e] = fill(
      null,
      [sized(1, 10, 'logs'), sized(2, 10, 'metrics'), sized(3, 10, 'traces')],
      template(),
    );
    expect(e!.batch).toMatchObject({ logs: [log(1)], metrics: [metric(2)], traces: [span(3)] });
  });

  it('appends to a copy of the open entry, leaving the one it is given unchanged', () => {
    const [open] = fill(null, [sized(1)], template());
    const snapshot = structuredClone(open!);
    const out = fill(open!, [sized(2), sized(3)], template({ newId: ids('x') }));
    expect(open).toEqual(snapshot);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ key: open!.key, count: 3, bytes: 33, open: true });
    expect(out[0]!.batch.logs).toEqual([log(1), log(2), log(3)]);
  });

  it('starts a new entry for a new session or a new day’s anonymous id, closing the open one', () => {
    const [open] = fill(null, [sized(1)], template({ anonymousId: 'day-1' }));
    const bySession = fill(
      open!,
      [sized(2)],
      template({ sessionId: 'session-2', anonymousId: 'day-1', newId: ids('s2') }),
    );
    expect(bySession.map((e) => [e.batchId, e.open, e.batch.sessionId, timestamps([e])])).toEqual([
      [open!.batchId, false, 'session-1', [1]],
      ['s2', true, 'session-2', [2]],
    ]);
    const byDay = fill(open!, [sized(3)], template({ anonymousId: 'day-2', newId: ids('d2') }));
    expect(byDay.map((e) => [e.batchId, e.batch.anonymousId, timestamps([e])])).toEqual([
      [open!.batchId, 'day-1', [1]],
      ['d2', 'day-2', [3]],
    ]);
  });

  it('splits by maxBytes, closing each full entry; the open one comes last', () => {
    const out = fill(null, [sized(1, 40), sized(2, 40), sized(3, 40)], template({ maxBytes: 100 }));
    expect(out.map((e) => ({ id: e.batchId, ts: timestamps([e]), open: e.open, bytes: e.bytes }))).toEqual([
      { id: 'b1', ts: [1, 2], open: false, bytes: 82 },
      { id: 'b2', ts: [3], open: true, bytes: 41 },
    ]);
  });

  it('fills an entry to exactly maxBytes and no further', () => {
    expect(fill(null, [sized(1, 49), sized(2, 49)], template({ maxBytes: 100 })).map((e) => e.bytes)).toEqual(
      [100],
    );
    expect(fill(null, [sized(1, 49), sized(2, 50)], template({ maxBytes: 100 })).map((e) => e.bytes)).toEqual(
      [50, 51],
    );
  });

  it('closes the given open entry when the next item does not fit it', () => {
    const [open] = fill(null, [sized(1, 70)], template({ maxBytes: 100 }));
    const out = fill(open!, [sized(2, 70)], template({ maxBytes: 100, newId: ids('n') }));
    expect(out.map((e) => [e.batchId, e.open, e.count])).toEqual([
      ['b1', false, 1],
      ['n', true, 1],
    ]);
  });

  it('keeps one item larger than the whole budget, alone in its entry', () => {
    const out = fill(null, [sized(1, 500), sized(2, 10)], template({ maxBytes: 100 }));
    expect(out.map((e) => e.count)).toEqual([1, 1]);
  });

  it('keeps creation order in the keys of entries created in one millisecond, whatever their ids', () => {
    const out = fill(
      null,
      [sized(1, 60), sized(2, 60), sized(3, 60)],
      template({ maxBytes: 100, newId: ids('zz', 'yy', 'xx') }),
    );
    expect(out.map((e) => e.key).sort()).toEqual(out.map((e) => e.key));
  });
});

describe('appendOp', () => {
  it('writes the planned entries as planned and adds them to the totals', async () => {
    const outbox = memoryOutbox();
    const t = template({ maxBytes: 100 });
    const items = [sized(1, 40), sized(2, 40), sized(3, 40)];
    const planned = fill(null, items, t);
    const r = await outbox.run(
      appendOp({ template: t, open: null, items, planned, seal: false, maxEvents: 100, maxQueueBytes: 1e9 }),
    );
    expect(r).toEqual({ open: planned[1], asPlanned: true, dropped: 0, queued: 3, optedOut: false });
    expect(await stored(outbox)).toEqual(planned);
    expect(await outbox.run(totalsOp)).toEqual({ events: 3, bytes: 123 });
  });

  it('appends to the page’s own open entry while it is unclaimed, counting only the new items in the totals', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox, { items: [sized(1)] });
    const second = await append(outbox, {
      open: first.open,
      items: [sized(2), sized(3)],
      t: template({ now: 2_000, newId: ids('x') }),
    });
    expect(second).toMatchObject({ asPlanned: true, queued: 3, dropped: 0 });
    const all = await stored(outbox);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ key: first.open!.key, batchId: 'b1', count: 3, bytes: 33, open: true });
    expect(all[0]!.batch.logs).toEqual([log(1), log(2), log(3)]);
    expect(second.open).toEqual(all[0]);
    expect(await outbox.run(totalsOp)).toEqual({ events: 3, bytes: 33 });
  });

  it('seals: closes the last entry and returns no open entry', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox);
    const r = await append(outbox, { open: first.open, items: [sized(2)], seal: true });
    expect(r).toMatchObject({ open: null, asPlanned: true });
    expect((await stored(outbox)).map((e) => [e.batchId, e.open, e.count])).toEqual([['b1', false, 2]]);
  });

  it('writes the items to new entries when another page has claimed the open entry, leaving that one as claimed', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox, { items: [sized(1)] });
    await takeOver(outbox);
    // The claimed entry is sent with exactly what it held when claimed.
    const claimedBefore = await byId(outbox, 'b1');
    const r = await append(outbox, {
      open: first.open,
      items: [sized(2)],
      t: template({ now: 2_000, newId: ids('n1', 'n2') }),
    });
    expect(r.asPlanned).toBe(false);
    expect(await byId(outbox, 'b1')).toEqual(claimedBefore);
    const fresh = (await stored(outbox)).filter((e) => e.batchId !== 'b1');
    expect(fresh).toHaveLength(1);
    expect(timestamps(fresh)).toEqual([2]);
    expect(fresh[0]).toMatchObject({ owner: 'page-a', open: true });
    expect(r.open).toEqual(fresh[0]);
    expect(r.queued).toBe(2);
    await expectConsistentTotals(outbox);
  });

  it('writes the items to new entries when the open entry is gone, without bringing it back', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox, { items: [sized(1)] });
    // Another context claimed and delivered it.
    await takeOver(outbox);
    await outbox.run(settleOp('page-b', first.open!.key, null));
    const r = await append(outbox, {
      open: first.open,
      items: [sized(2), sized(3)],
      t: template({ newId: ids('n1') }),
    });
    expect(r.asPlanned).toBe(false);
    const all = await stored(outbox);
    expect(all.map((e) => e.batchId)).toEqual(['n1']);
    expect(timestamps(all)).toEqual([2, 3]);
    expect(r.open).toEqual(all[0]);
    expect(await outbox.run(totalsOp)).toEqual({ events: 2, bytes: 22 });
  });

  it('closes a stale own open entry whose count differs from the plan’s start, and writes the items to new entries', async () => {
    const own = entry(500, 'own', 2, { open: true, owner: 'page-a' });
    const outbox = await seed(own);
    // The page believes its open entry holds one event.
    const believed = {
      ...own,
      count: 1,
      bytes: 10,
      batch: { ...own.batch, logs: own.batch.logs.slice(0, 1) },
    };
    const r = await append(outbox, { open: believed, items: [sized(7)], t: template({ newId: ids('n1') }) });
    expect(r.asPlanned).toBe(false);
    const all = await stored(outbox);
    expect(all.map((e) => [e.batchId, e.open, e.count])).toEqual([
      ['own', false, 2],
      ['n1', true, 1],
    ]);
    // The stale entry keeps its own content: nothing of the plan was merged into it.
    expect(all[0]!.batch).toEqual(own.batch);
    expect(r.open!.batchId).toBe('n1');
    await expectConsistentTotals(outbox);
  });

  it('writes the items to new entries when the open key is closed or owned by another page, changing neither', async () => {
    const closed = entry(500, 'closed', 1, { open: false });
    const foreign = entry(600, 'foreign', 1, { open: true, owner: 'page-z' });
    const outbox = await seed(closed, foreign);
    const a = await append(outbox, { open: closed, items: [sized(2)], t: template({ newId: ids('n1') }) });
    const b = await append(outbox, { open: foreign, items: [sized(3)], t: template({ newId: ids('n2') }) });
    expect([a.asPlanned, b.asPlanned]).toEqual([false, false]);
    expect(await byId(outbox, 'closed')).toEqual(closed);
    expect(await byId(outbox, 'foreign')).toEqual(foreign);
    expect(timestamps([(await byId(outbox, 'n1'))!])).toEqual([2]);
    expect(timestamps([(await byId(outbox, 'n2'))!])).toEqual([3]);
    await expectConsistentTotals(outbox);
  });

  it('keeps the planned drop counts when the items go to new entries', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox);
    await takeOver(outbox);
    await append(outbox, {
      open: first.open,
      items: [sized(2)],
      t: template({ newId: ids('n1', 'n2') }),
      // The pipeline adds the drops not yet reported to the last planned entry.
      edit: (planned) => void (planned[planned.length - 1]!.batch.dropped = { queue_full: 3 }),
    });
    const dropped = (await stored(outbox)).map((e) => e.batch.dropped).filter(Boolean);
    expect(dropped).toEqual([{ queue_full: 3 }]);
  });

  it('caps by events: deletes whole oldest unclaimed closed entries, and returns how many events', async () => {
    const old1 = entry(100, 'old1', 2);
    const old2 = entry(200, 'old2', 2);
    const old3 = entry(300, 'old3', 2);
    const outbox = await seed(old1, old2, old3);
    const r = await append(outbox, { maxEvents: 5, items: [sized(10), sized(11)] });
    // 8 events, 5 allowed: old1 then old2 go whole; old3 stays.
    expect(r).toMatchObject({ dropped: 4, queued: 4, asPlanned: true });
    expect((await stored(outbox)).map((e) => e.batchId)).toEqual(['old3', 'b1']);
    await expectConsistentTotals(outbox);
  });

  it('caps by bytes the same way', async () => {
    const old1 = entry(100, 'old1', 2); // 20 bytes
    const old2 = entry(200, 'old2', 2);
    const outbox = await seed(old1, old2);
    const r = await append(outbox, { maxQueueBytes: 40, items: [sized(10, 9)] }); // 10 bytes
    expect(r).toMatchObject({ dropped: 2, queued: 3 });
    expect((await stored(outbox)).map((e) => e.batchId)).toEqual(['old2', 'b1']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 3, bytes: 30 });
  });

  it('never evicts open or claimed entries, nor the entries it has just written', async () => {
    const claimed = entry(100, 'claimed', 3, { claimedBy: 'page-b', claimedAt: 900, claimKind: 'send' });
    const openOther = entry(200, 'open-other', 2, { open: true, owner: 'page-z' });
    const closed = entry(300, 'closed', 1);
    const outbox = await seed(claimed, openOther, closed);
    const r = await append(outbox, {
      maxEvents: 2,
      t: template({ maxBytes: 25 }),
      items: [sized(10), sized(11), sized(12)],
    });
    expect(r.dropped).toBe(1);
    const all = await stored(outbox);
    expect(all.map((e) => e.batchId)).toEqual(['claimed', 'open-other', 'b1', 'b2']);
    expect(await byId(outbox, 'claimed')).toEqual(claimed);
    expect(await byId(outbox, 'open-other')).toEqual(openOther);
    expect(timestamps(all.slice(2))).toEqual([10, 11, 12]);
    expect(r.queued).toBe(8);
    await expectConsistentTotals(outbox);
  });

  it('writes nothing and reports optedOut once the user has opted out', async () => {
    const outbox = memoryOutbox();
    await outbox.run(optOutOp);
    const r = await append(outbox);
    expect(r).toEqual({ open: null, asPlanned: false, dropped: 0, queued: 0, optedOut: true });
    expect(await stored(outbox)).toEqual([]);
    expect(await outbox.run(totalsOp)).toEqual({ events: 0, bytes: 0 });
  });
});

describe('claimOp', () => {
  const claim = (overrides: Partial<ClaimParams> = {}) =>
    claimOp({
      owner: 'page-a',
      now: 10_000,
      leaseMs: 60_000,
      live: null,
      maxAgeMs: 1_000_000,
      limit: 10,
      ...overrides,
    });

  it('claims due entries oldest first for sending, with their payloads, and stores the claim', async () => {
    const b = entry(200, 'b', 2, { owner: 'page-z' });
    const a = entry(100, 'a', 1);
    const outbox = await seed(b, a);
    const r = await outbox.run(claim());
    expect(r.claimed.map((e) => e.batchId)).toEqual(['a', 'b']);
    expect(r.claimed[1]).toEqual({ ...b, claimedBy: 'page-a', claimedAt: 10_000, claimKind: 'send' });
    expect(r).toMatchObject({ expired: 0, queued: 3, nextAttemptAt: null, optedOut: false });
    expect(await stored(outbox)).toEqual(r.claimed);
  });

  it('claims at most `limit` entries', async () => {
    const outbox = await seed(entry(1, 'a'), entry(2, 'b'), entry(3, 'c'));
    const r = await outbox.run(claim({ limit: 2 }));
    expect(r.claimed.map((e) => e.batchId)).toEqual(['a', 'b']);
    expect((await byId(outbox, 'c'))!.claimedBy).toBeUndefined();
    expect(r.queued).toBe(3);
  });

  it('does not claim an entry twice', async () => {
    const outbox = await seed(entry(1, 'a'));
    expect((await outbox.run(claim())).claimed).toHaveLength(1);
    expect((await outbox.run(claim({ owner: 'page-b' }))).claimed).toEqual([]);
  });

  it('skips entries claimed by another page within the lease; takes them over after it, not exactly at it', async () => {
    const held = entry(1, 'a', 2, { claimedBy: 'page-b', claimedAt: 10_000, claimKind: 'send' });
    const outbox = await seed(held, entry(2, 'b'));
    expect((await outbox.run(claim({ now: 10_000 + 30_000 }))).claimed.map((e) => e.batchId)).toEqual(['b']);
    expect((await outbox.run(claim({ owner: 'page-c', now: 10_000 + 60_000 }))).claimed).toEqual([]);
    const r = await outbox.run(claim({ owner: 'page-c', now: 10_000 + 60_001 }));
    expect(r.claimed.map((e) => e.batchId)).toEqual(['a']);
    expect(await byId(outbox, 'a')).toMatchObject({ claimedBy: 'page-c', claimedAt: 70_001 });
  });

  it('takes a drain’s claim of a dead page at once, but not of a live one', async () => {
    const live = entry(1, 'live', 1, { claimedBy: 'page-live', claimedAt: 9_999, claimKind: 'send' });
    const dead = entry(2, 'dead', 1, { claimedBy: 'page-dead', claimedAt: 9_999, claimKind: 'send' });
    const outbox = await seed(live, dead);
    const r = await outbox.run(claim({ live: new Set(['page-a', 'page-live']) }));
    expect(r.claimed.map((e) => e.batchId)).toEqual(['dead']);
    expect(await byId(outbox, 'live')).toEqual(live);
  });

  it('keeps an unload claim for its lease even when its page is gone (the request outlives it)', async () => {
    const unload = entry(1, 'u', 1, { claimedBy: 'page-dead', claimedAt: 9_000, claimKind: 'unload' });
    const outbox = await seed(unload);
    const r = await outbox.run(claim({ live: new Set(['page-a']) }));
    expect(r.claimed).toEqual([]);
    expect(r.nextAttemptAt).toBe(9_000 + 60_000 + 1);
    expect(await byId(outbox, 'u')).toEqual(unload);
    expect((await outbox.run(claim({ now: 69_001, live: new Set(['page-a']) }))).claimed).toHaveLength(1);
  });

  it('leaves another live page’s open entry to that page for OPEN_GRACE_MS, then claims it', async () => {
    const open = entry(1_000, 'open', 2, { open: true, owner: 'page-z' });
    const outbox = await seed(open);
    const live = new Set(['page-a', 'page-z']);
    const early = await outbox.run(claim({ now: 1_000 + OPEN_GRACE_MS, live }));
    expect(early.claimed).toEqual([]);
    expect(early.nextAttemptAt).toBe(1_000 + OPEN_GRACE_MS + 1);
    expect(await byId(outbox, 'open')).toEqual(open);
    const late = await outbox.run(claim({ now: 1_000 + OPEN_GRACE_MS + 1, live }));
    expect(late.claimed.map((e) => e.batchId)).toEqual(['open']);
  });

  it('never claims the page’s own open entry (it seals it itself)', async () => {
    const open = entry(1, 'mine', 2, { open: true, owner: 'page-a' });
    const outbox = await seed(open);
    expect((await outbox.run(claim({ now: 1e6 }))).claimed).toEqual([]);
    expect((await outbox.run(claim({ now: 1e6, live: new Set() }))).claimed).toEqual([]);
    expect(await byId(outbox, 'mine')).toEqual(open);
  });

  it('claims a dead page’s open entry at once, closing it', async () => {
    const open = entry(9_000, 'orphan', 2, { open: true, owner: 'page-dead' });
    const outbox = await seed(open);
    const r = await outbox.run(claim({ live: new Set(['page-a']) }));
    expect(r.claimed.map((e) => e.batchId)).toEqual(['orphan']);
    expect(await byId(outbox, 'orphan')).toMatchObject({
      open: false,
      claimedBy: 'page-a',
      claimKind: 'send',
    });
  });

  it('without Web Locks, claims another page’s open entry only after OPEN_GRACE_MS from its creation', async () => {
    const open = entry(1_000, 'other', 1, { open: true, owner: 'page-z' });
    const outbox = await seed(open);
    expect((await outbox.run(claim({ now: 1_000 + OPEN_GRACE_MS, live: null }))).claimed).toEqual([]);
    expect((await outbox.run(claim({ now: 1_000 + OPEN_GRACE_MS, live: undefined }))).claimed).toEqual([]);
    expect(await byId(outbox, 'other')).toEqual(open);
    const r = await outbox.run(claim({ now: 1_001 + OPEN_GRACE_MS, live: null }));
    expect(r.claimed.map((e) => e.batchId)).toEqual(['other']);
  });

  it('deletes expired entries, even claimed or open ones, counts their events and updates the totals', async () => {
    const outbox = await seed(
      entry(100, 'old', 3),
      entry(200, 'old-claimed', 1, { claimedBy: 'page-b', claimedAt: 9_999, claimKind: 'send' }),
      entry(300, 'old-open', 2, { open: true, owner: 'page-z' }),
      entry(9_000, 'fresh', 1),
    );
    const r = await outbox.run(claim({ maxAgeMs: 5_000, live: new Set(['page-b', 'page-z']) }));
    expect(r).toMatchObject({ expired: 6, queued: 1 });
    expect(r.claimed.map((e) => e.batchId)).toEqual(['fresh']);
    expect((await stored(outbox)).map((e) => e.batchId)).toEqual(['fresh']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 1, bytes: 10 });
  });

  it('keeps an entry exactly at the maximum age', async () => {
    const outbox = await seed(entry(5_000, 'edge'));
    expect(await outbox.run(claim({ maxAgeMs: 5_000 }))).toMatchObject({ expired: 0, queued: 1 });
  });

  it('leaves entries waiting for a retry and reports the earliest due time only when it claimed nothing', async () => {
    const outbox = await seed(
      entry(1, 'a', 1, { nextAttemptAt: 50_000 }),
      entry(2, 'b', 1, { nextAttemptAt: 20_000 }),
      entry(3, 'c', 1, { nextAttemptAt: 10_000 }),
    );
    const first = await outbox.run(claim());
    expect(first.claimed.map((e) => e.batchId)).toEqual(['c']);
    expect(first.nextAttemptAt).toBeNull();
    const second = await outbox.run(claim());
    expect(second.claimed).toEqual([]);
    expect(second.nextAttemptAt).toBe(20_000);
    expect(second.queued).toBe(3);
  });

  it('reports nothing on an empty outbox', async () => {
    expect(await memoryOutbox().run(claim())).toEqual({
      claimed: [],
      expired: 0,
      queued: 0,
      nextAttemptAt: null,
      optedOut: false,
    });
  });

  it('drops an entry whose payload is missing and keeps the totals equal to what is stored', async () => {
    const broken = entry(1, 'broken', 2);
    const outbox = await seed(broken, entry(2, 'ok'));
    await outbox.run((tx) => Promise.resolve(tx.del(PAYLOAD + broken.key)));
    const r = await outbox.run(claim());
    expect(r.claimed.map((e) => e.batchId)).toEqual(['ok']);
    expect(r.queued).toBe(1);
    expect(await outbox.run((tx) => tx.get(META + broken.key))).toBeUndefined();
    expect(await outbox.run(totalsOp)).toEqual({ events: 1, bytes: 10 });
  });

  it('claims nothing and reports optedOut once the user has opted out', async () => {
    const outbox = await seed(entry(1, 'a'));
    await outbox.run(optOutOp);
    await outbox.run(putOp(entry(2, 'late')));
    expect(await outbox.run(claim())).toEqual({
      claimed: [],
      expired: 0,
      queued: 0,
      nextAttemptAt: null,
      optedOut: true,
    });
    expect((await byId(outbox, 'late'))!.claimedBy).toBeUndefined();
  });
});

describe('leaveOp', () => {
  it('records sent entries as unload claims of the page and writes unsent ones unclaimed and closed', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox, { items: [sized(1)] });
    // The page's open entry grew in memory, and two fresh entries were planned from its buffer.
    const [grown] = fill(first.open, [sized(2)], template());
    const [sentFresh, unsentFresh] = fill(
      null,
      [sized(3, 600), sized(4, 600)],
      template({ newId: ids('f1', 'f2') }),
    );
    const queued = await outbox.run(
      leaveOp(
        'page-a',
        5_000,
        [grown!, sentFresh!],
        [{ ...unsentFresh!, nextAttemptAt: 7_000 }],
        new Set([sentFresh!.key, unsentFresh!.key]),
      ),
    );
    expect(queued).toBe(4);
    const all = await stored(outbox);
    expect(all.map((e) => [e.batchId, e.open, e.count, e.claimedBy, e.claimKind])).toEqual([
      ['b1', false, 2, 'page-a', 'unload'],
      ['f1', false, 1, 'page-a', 'unload'],
      ['f2', false, 1, undefined, undefined],
    ]);
    expect(all[0]!.claimedAt).toBe(5_000);
    expect(all[0]!.batch.logs).toEqual([log(1), log(2)]);
    expect(all[2]!.nextAttemptAt).toBe(7_000);
    expect(await outbox.run(totalsOp)).toEqual({ events: 4, bytes: 11 + 11 + 601 + 601 });
  });

  it('does not bring back an entry that is not fresh and is gone from storage (delivered by another context)', async () => {
    const outbox = memoryOutbox();
    const first = await append(outbox);
    await takeOver(outbox);
    await outbox.run(settleOp('page-b', first.open!.key, null));
    await outbox.run(leaveOp('page-a', 5_000, [first.open!], [], new Set()));
    await outbox.run(leaveOp('page-a', 5_000, [], [first.open!], new Set()));
    expect(await stored(outbox)).toEqual([]);
    expect(await outbox.run(totalsOp)).toEqual({ events: 0, bytes: 0 });
  });

  it('does not overwrite an entry claimed by another context, nor one owned by another page', async () => {
    const claimed = entry(1, 'claimed', 1, {
      open: false,
      owner: 'page-a',
      claimedBy: 'page-b',
      claimedAt: 900,
      claimKind: 'send',
    });
    const foreign = entry(2, 'foreign', 1, { open: true, owner: 'page-z' });
    const outbox = await seed(claimed, foreign);
    const grownClaimed = {
      ...claimed,
      count: 5,
      bytes: 50,
      claimedBy: undefined,
      claimedAt: undefined,
      claimKind: undefined,
    };
    const grownForeign = { ...foreign, count: 5, bytes: 50 };
    await outbox.run(
      leaveOp('page-a', 5_000, [grownClaimed], [grownForeign], new Set([claimed.key, foreign.key])),
    );
    expect(await byId(outbox, 'claimed')).toEqual(claimed);
    expect(await byId(outbox, 'foreign')).toEqual(foreign);
    await expectConsistentTotals(outbox);
  });

  it('writes nothing once the user has opted out', async () => {
    const outbox = memoryOutbox();
    await outbox.run(optOutOp);
    const [fresh] = fill(null, [sized(1)], template());
    expect(await outbox.run(leaveOp('page-a', 5_000, [fresh!], [], new Set([fresh!.key])))).toBe(0);
    expect(await stored(outbox)).toEqual([]);
  });
});

describe('settleOp', () => {
  const claimed = entry(1, 'a', 2, { claimedBy: 'page-a', claimedAt: 5, claimKind: 'send', attempts: 1 });

  it('deletes a delivered entry and returns what is left queued', async () => {
    const outbox = await seed(claimed, entry(2, 'b', 3));
    expect(await outbox.run(settleOp('page-a', claimed.key, null))).toBe(3);
    expect((await stored(outbox)).map((e) => e.batchId)).toEqual(['b']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 3, bytes: 30 });
  });

  it('puts a failed entry back with its new attempt count and time, unclaimed and closed', async () => {
    const outbox = await seed({ ...claimed, open: true });
    expect(await outbox.run(settleOp('page-a', claimed.key, { attempts: 2, nextAttemptAt: 99_000 }))).toBe(2);
    const [e] = await stored(outbox);
    expect(e).toMatchObject({ attempts: 2, nextAttemptAt: 99_000, open: false, count: 2 });
    expect('claimedBy' in e!).toBe(false);
    expect('claimedAt' in e!).toBe(false);
    expect('claimKind' in e!).toBe(false);
    expect(e!.batch).toEqual(claimed.batch);
    expect(await outbox.run(totalsOp)).toEqual({ events: 2, bytes: 20 });
  });

  it('lets a released entry be claimed again once it is due', async () => {
    const outbox = await seed(claimed);
    await outbox.run(settleOp('page-a', claimed.key, { attempts: 2, nextAttemptAt: 99_000 }));
    const op = (now: number) =>
      claimOp({ owner: 'page-c', now, leaseMs: 60_000, live: null, maxAgeMs: 1e9, limit: 5 });
    expect((await outbox.run(op(98_999))).claimed).toEqual([]);
    expect((await outbox.run(op(99_000))).claimed).toHaveLength(1);
  });

  it('changes nothing when the claim was taken over by another page after its lease', async () => {
    const outbox = await seed(claimed);
    const takeover = await outbox.run(
      claimOp({ owner: 'page-b', now: 5 + 60_001, leaseMs: 60_000, live: null, maxAgeMs: 1e9, limit: 5 }),
    );
    expect(takeover.claimed).toHaveLength(1);
    const before = await stored(outbox);
    expect(await outbox.run(settleOp('page-a', claimed.key, null))).toBe(2);
    expect(await outbox.run(settleOp('page-a', claimed.key, { attempts: 9, nextAttemptAt: 1 }))).toBe(2);
    expect(await stored(outbox)).toEqual(before);
    expect(before[0]!.claimedBy).toBe('page-b');
  });

  it('changes nothing for an unclaimed entry or one that is gone', async () => {
    const unclaimed = entry(3, 'free', 1);
    const outbox = await seed(unclaimed);
    expect(await outbox.run(settleOp('page-a', unclaimed.key, null))).toBe(1);
    expect(await outbox.run(settleOp('page-a', 'missing', null))).toBe(1);
    expect(await outbox.run(settleOp('page-a', 'missing', { attempts: 1, nextAttemptAt: 1 }))).toBe(1);
    expect(await stored(outbox)).toEqual([unclaimed]);
  });
});

describe('optOutOp, optInOp, consentOp', () => {
  it('opt-out deletes every entry, claimed or open, zeroes the totals and records the choice', async () => {
    const outbox = await seed(
      entry(1, 'a', 2),
      entry(2, 'b', 1, { claimedBy: 'page-b', claimedAt: 1, claimKind: 'send' }),
      entry(3, 'c', 3, { open: true }),
    );
    expect(await outbox.run(consentOp)).toBe(false);
    expect(await outbox.run(optOutOp)).toBe(6);
    expect(await stored(outbox)).toEqual([]);
    expect(await outbox.run(totalsOp)).toEqual({ events: 0, bytes: 0 });
    expect(await outbox.run(consentOp)).toBe(true);
    expect(await outbox.run((tx) => tx.get(PAYLOAD + outboxEntry(1, 'x').key))).toBeUndefined();
  });

  it('opt-in removes the choice, and appends and claims work again', async () => {
    const outbox = memoryOutbox();
    await outbox.run(optOutOp);
    await outbox.run(optInOp);
    expect(await outbox.run(consentOp)).toBe(false);
    const r = await append(outbox, { seal: true });
    expect(r.optedOut).toBe(false);
    const c = await outbox.run(
      claimOp({ owner: 'page-b', now: 2_000, leaseMs: 1, live: null, maxAgeMs: 1e9, limit: 5 }),
    );
    expect(c.claimed).toHaveLength(1);
  });
});

describe('running totals', () => {
  it('stay equal to what is stored after a seeded random sequence of every operation', async () => {
    const random = seeded(20_261_129);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const outbox = memoryOutbox();
    const pages = ['page-a', 'page-b', 'page-c'] as const;
    const open = new Map<string, OutboxEntry | null>();
    const claims: { owner: string; entry: OutboxEntry }[] = [];
    let now = 1_000;
    let n = 0;
    const t = (owner: string): EntryTemplate => ({
      owner,
      sessionId: 's',
      resource: RESOURCE,
      now,
      newId: () => `id${++n}`,
      maxBytes: 200,
    });
    for (let step = 0; step < 400; step++) {
      now += Math.floor(random() * 5_000);
      const owner = pick(pages);
      const roll = random();
      if (roll < 0.45) {
        const items = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) =>
          sized(now + i, 5 + Math.floor(random() * 80), pick(['logs', 'traces', 'metrics'] as const)),
        );
        const r = await append(outbox, {
          open: open.get(owner) ?? null,
          items,
          t: t(owner),
          seal: random() < 0.2,
          maxEvents: 40,
          maxQueueBytes: 2_000,
        });
        if (!r.optedOut) open.set(owner, r.open);
      } else if (roll < 0.65) {
        const live = random() < 0.5 ? null : new Set(pages.filter(() => random() < 0.6));
        const r = await outbox.run(
          claimOp({ owner, now, leaseMs: 20_000, live, maxAgeMs: 200_000, limit: 3 }),
        );
        for (const e of r.claimed) claims.push({ owner, entry: e });
      } else if (roll < 0.85 && claims.length) {
        const [c] = claims.splice(Math.floor(random() * claims.length), 1);
        const next = random() < 0.5 ? null : { attempts: c!.entry.attempts + 1, nextAttemptAt: now + 3_000 };
        await outbox.run(settleOp(c!.owner, c!.entry.key, next));
      } else if (roll < 0.95) {
        const mine = open.get(owner);
        open.set(owner, null);
        const [fresh] = fill(null, [sized(now, 30)], t(owner));
        const split = random() < 0.5;
        const list = mine ? [mine, fresh!] : [fresh!];
        await outbox.run(leaveOp(owner, now, split ? list : [], split ? [] : list, new Set([fresh!.key])));
      } else if (roll < 0.97) {
        await outbox.run(optOutOp);
        open.clear();
      } else {
        await outbox.run(optInOp);
      }
      const totals = (await outbox.run(totalsOp)) ?? { events: 0, bytes: 0 };
      const actual = await outbox.run(actualTotalsOp);
      expect({ step, ...totals }).toEqual({ step, ...actual });
    }
    expect(await outbox.run(countOp())).toBeGreaterThan(0);
  });
});
