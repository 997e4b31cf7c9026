// @vitest-environment node
// Short versions of the load and fault runs (the full load is `npm run bench:ingest`): many
// concurrent clients, every acknowledged batch stored once and whole; a server killed with SIGKILL
// mid-load and restarted keeps every acknowledged batch, leaves no unreadable line, dedupes resends.
// `LOAD_SECONDS=60 npx vitest run tests/server/load.test.ts` makes the first a timed run of that
// length (64 clients, no cap on requests) and prints its figures; CI runs the 2-second version.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startChild } from './child-server.js';
import { cleanup, NOW, serve, tempDir, TODAY } from './harness.js';

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

/** Lines per batch_id in today's logs file, and the lines that do not parse (read as a stream: a long run stores GBs). */
async function stored(dataDir: string): Promise<{ perBatch: Map<string, number>; unreadable: number }> {
  const perBatch = new Map<string, number>();
  let unreadable = 0;
  const input = createReadStream(join(dataDir, 'logs', `${TODAY}.jsonl`));
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    try {
      const id = (JSON.parse(line) as { batch_id: string }).batch_id;
      perBatch.set(id, (perBatch.get(id) ?? 0) + 1);
    } catch {
      unreadable++;
    }
  }
  return { perBatch, unreadable };
}

/** Seconds of the opt-in long run; 0 for the short one (at most 40 requests per client, 2 s). */
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 0);

describe('load', () => {
  it(
    '64 concurrent clients: every acknowledged batch stored once and whole, nothing else',
    async () => {
      const server = await serve({ rateLimit: 'off' });
      const started = Date.now();
      const deadline = started + (LOAD_SECONDS > 0 ? LOAD_SECONDS * 1000 : 2000);
      const perClient = LOAD_SECONDS > 0 ? Infinity : 40;
      const { acked, sent } = await load(server.url, 64, perClient, 20, () => Date.now() > deadline);
      const seconds = (Date.now() - started) / 1000;
      const { perBatch, unreadable } = await stored(server.dataDir);
      const figures = {
        seconds: Math.round(seconds * 10) / 10,
        requests: sent.length,
        acknowledged: acked.size,
        requestsPerSecond: Math.round(sent.length / seconds),
        linesStored: [...perBatch.values()].reduce((a, b) => a + b, 0),
        // Lines of acknowledged batches missing from disk.
        lost: [...acked].reduce((n, id) => n + Math.max(0, 20 - (perBatch.get(id) ?? 0)), 0),
        // Lines beyond the 20 of their batch, and lines of batches never acknowledged.
        duplicated: [...perBatch].reduce(
          (n, [id, count]) => n + (acked.has(id) ? Math.max(0, count - 20) : count),
          0,
        ),
        torn: unreadable,
      };
      if (LOAD_SECONDS > 0) console.log(`load run: ${JSON.stringify(figures)}`);
      expect(acked.size).toBe(sent.length);
      expect(figures).toMatchObject({ lost: 0, duplicated: 0, torn: 0, linesStored: acked.size * 20 });
      expect([...perBatch.keys()].sort()).toEqual([...acked].sort());
    },
    30_000 + LOAD_SECONDS * 3000,
  );
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
