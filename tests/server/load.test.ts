// @vitest-environment node
// Short versions of the load and fault runs (the full load is `npm run bench:ingest`): many
// concurrent clients, every acknowledged batch stored once and whole; a server killed with SIGKILL
// mid-load and restarted keeps every acknowledged batch, leaves no unreadable line, dedupes resends.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startChild } from './child-server.js';
import { cleanup, lines, NOW, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

/** A native batch of `events` log events, compact as clients send it. */
function body(batchId: string, events: number): string {
  const logs = Array.from({ length: events }, (_, i) => ({
    timestamp: 1_773_576_000_000 + i,
    level: 'info',
    message: `event ${i} of ${batchId} ${'ü'.repeat(i % 5)}`,
    context: { i, page: '/quiz/42' },
  }));
  return JSON.stringify({ batchId, session: { id: 's' }, logs, traces: [], metrics: [] });
}

interface Load {
  acked: Set<string>;
  sent: string[];
}

/**
 * `clients` concurrent loops, each sending batches until `until()` says stop or it has sent
 * `perClient`; bounded in count and time. A failed request (server gone) ends that loop.
 */
async function load(
  url: string,
  clients: number,
  perClient: number,
  events: number,
  until: () => boolean,
): Promise<Load> {
  const result: Load = { acked: new Set(), sent: [] };
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let n = 0; n < perClient && !until(); n++) {
        const id = `c${c}-${n}`;
        result.sent.push(id);
        try {
          const res = await fetch(`${url}/ingest`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: body(id, events),
          });
          await res.arrayBuffer();
          if (res.status === 200) result.acked.add(id);
        } catch {
          return;
        }
      }
    }),
  );
  return result;
}

/** Lines per batch_id in today's logs file, and the lines that do not parse. */
async function stored(dataDir: string): Promise<{ perBatch: Map<string, number>; unreadable: number }> {
  const perBatch = new Map<string, number>();
  let unreadable = 0;
  for (const line of await lines(dataDir, 'logs', TODAY)) {
    try {
      const id = (JSON.parse(line) as { batch_id: string }).batch_id;
      perBatch.set(id, (perBatch.get(id) ?? 0) + 1);
    } catch {
      unreadable++;
    }
  }
  return { perBatch, unreadable };
}

describe('load', () => {
  it('64 concurrent clients: every acknowledged batch stored once and whole, nothing else', async () => {
    const server = await serve({ rateLimit: 'off' });
    const deadline = Date.now() + 2000;
    const { acked, sent } = await load(server.url, 64, 40, 20, () => Date.now() > deadline);
    expect(acked.size).toBe(sent.length);
    const { perBatch, unreadable } = await stored(server.dataDir);
    expect(unreadable).toBe(0);
    expect([...perBatch.keys()].sort()).toEqual([...acked].sort());
    expect([...perBatch.values()].every((n) => n === 20)).toBe(true);
  }, 20_000);
});

describe('faults', () => {
  beforeAll(ensureBuilt, 60_000);

  it('SIGKILL mid-load, then restart: acknowledged batches kept once, no unreadable line, resends deduped', async () => {
    const dataDir = await tempDir();
    const first = await startChild(dataDir, await tempDir(), NOW);
    let killed = false;
    // 200-event batches (about 20 KB): group writes span several pages, so a kill can land mid-write.
    const running = load(first.url, 32, 200, 200, () => killed);
    await new Promise((resolve) => setTimeout(resolve, 700));
    first.child.kill('SIGKILL');
    killed = true;
    await first.exited;
    const { acked, sent } = await running;
    expect(acked.size).toBeGreaterThan(0);

    const second = await startChild(dataDir, await tempDir(), NOW);
    try {
      const afterRestart = await stored(dataDir);
      expect(afterRestart.unreadable).toBe(0);
      for (const id of acked) expect(afterRestart.perBatch.get(id)).toBe(200);
      for (const n of afterRestart.perBatch.values()) expect(n).toBe(200);

      // Every batch sent, acknowledged or not, is sent again, as clients retry.
      const answers = await Promise.all(
        sent.map(async (id) => {
          const res = await fetch(`${second.url}/ingest`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: body(id, 200),
          });
          return [
            id,
            res.status,
            ((await res.json()) as { duplicate?: boolean }).duplicate === true,
          ] as const;
        }),
      );
      expect(answers.filter(([, status]) => status !== 200)).toEqual([]);
      for (const [id, , duplicate] of answers) if (acked.has(id)) expect(duplicate).toBe(true);
      const final = await stored(dataDir);
      expect(final.unreadable).toBe(0);
      expect([...final.perBatch.keys()].sort()).toEqual([...new Set(sent)].sort());
      expect([...final.perBatch.values()].every((n) => n === 200)).toBe(true);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  }, 60_000);
});
