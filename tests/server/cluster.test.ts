// @vitest-environment node
// `serve --workers 2`: the same batch arriving at both workers at once is still stored once, the
// rate limit holds for the whole server, not per worker, and `--forward-otlp` forwards each batch
// once, from the primary.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/server/cluster-ipc.js';
import { storeAppends } from '../../src/server/cluster.js';
import { batchTexts } from '../../src/server/lines.js';
import { openStore, validateBody, type ValidBody } from '../../src/server/index.js';
import { ensureBuilt } from './child-server.js';
import { batch, cleanup, NOW, post, tempDir } from './harness.js';
import { otlpItems, startReceiver } from './receivers.js';
import { bin, children, startWorkers } from './workers.js';

afterEach(cleanup);
beforeAll(ensureBuilt, 60_000);

describe('serve --workers 2', () => {
  it('stops on SIGTERM while the worker replacing a killed one is still starting', async () => {
    const server = await startWorkers('--rate-limit', 'off');
    const before = await children(server.pid);
    process.kill(before[0]!, 'SIGKILL');
    // The primary forks a replacement at once; a new process takes far longer to start listening.
    await until(async () => (await children(server.pid)).some((pid) => !before.includes(pid)), 10_000);
    expect(await server.stop()).toBe(0);
  }, 30_000);

  it('applies one rate limit across the workers (the primary holds the buckets)', async () => {
    const server = await startWorkers('--rate-limit', '10/60');
    try {
      // New connections each, so both workers take requests (the primary hands them out in turn).
      const codes = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const res = await post(server.url, batch(`r${i}`), { headers: { Connection: 'close' } });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      expect(codes.filter((code) => code === 200)).toHaveLength(10);
      expect(codes.filter((code) => code === 429)).toHaveLength(20);
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('dedupes exactly across workers, and stops cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--workers', '2', '--rate-limit', 'off'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const out = createInterface({ input: child.stdout });
    const output: string[] = [];
    const first = new Promise<string>((resolve) =>
      out.on('line', (line) => resolve(line) ?? output.push(line)),
    );
    out.on('line', (line) => output.push(line));
    const url = /listening on (http:\/\/\S+)\/ingest$/.exec(await first)?.[1];
    expect(url).toBeDefined();

    // Each batch twice at once, over separate connections, so both workers see copies.
    const ids = Array.from({ length: 40 }, (_, i) => `b${i}`);
    const answers = await Promise.all(
      [...ids, ...ids].map(async (id) => {
        const res = await post(url!, batch(id), { headers: { Connection: 'close' } });
        return { id, code: res.status, duplicate: ((await res.json()) as { duplicate?: boolean }).duplicate };
      }),
    );
    expect(answers.filter((a) => a.code !== 200)).toEqual([]);
    for (const id of ids) expect(answers.filter((a) => a.id === id && !a.duplicate)).toHaveLength(1);

    const [file] = (await readdir(join(dataDir, 'logs'))).filter((name) => name.endsWith('.jsonl'));
    const stored = (await readFile(join(dataDir, 'logs', file!), 'utf8')).trim().split('\n');
    expect(stored.map((line) => (JSON.parse(line) as { batch_id: string }).batch_id).sort()).toEqual(
      [...ids].sort(),
    );

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.at(-1)).toBe('stopped');
  }, 30_000);
});

/** A batch whose one log line says its id, so what a collector got can be counted per batch. */
const tagged = (id: string): Record<string, unknown> => {
  const b = batch(id);
  return { ...b, logs: [{ ...(b.logs as object[])[0], message: id }] };
};

/** POSTs until answered 200, as a client resends a batch whose answer it never got. */
async function deliver(url: string, id: string): Promise<boolean | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${url}/ingest`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Connection: 'close' },
        body: JSON.stringify(tagged(id)),
        // A connection Node's cluster handed to the worker just killed is never answered (the
        // primary keeps it open): give up on it and resend, as a client's transport does.
        signal: AbortSignal.timeout(5_000),
      });
      const answer = (await res.json()) as { duplicate?: boolean };
      if (res.status === 200) return answer.duplicate;
    } catch (error) {
      // The worker holding the connection was killed: resend, as the client's outbox does.
      if (attempt > 20) throw error;
    }
  }
}

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('serve --workers 2 --forward-otlp', () => {
  it('forwards each accepted batch once: copies at both workers, and resends after a worker was killed', async () => {
    const collector = await startReceiver();
    const server = await startWorkers('--rate-limit', 'off', '--forward-otlp', collector.url);
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `f${i}`);
      // Each batch twice at once, over separate connections, so both workers see copies.
      await Promise.all([...ids, ...ids].map((id) => deliver(server.url, id)));

      // A worker killed while batches arrive (the primary forks another): its clients resend.
      const [worker] = await children(server.pid);
      const more = Array.from({ length: 30 }, (_, i) => `k${i}`);
      const sending = Promise.all(more.map((id) => deliver(server.url, id)));
      process.kill(worker!, 'SIGKILL');
      await sending;
      // Every batch once more, as clients that never saw their answers: all duplicates now.
      const again = await Promise.all([...ids, ...more].map((id) => deliver(server.url, id)));
      expect(again.every((duplicate) => duplicate === true)).toBe(true);

      // Once the spool is empty nothing more can be sent: count what the collector got.
      const spool = join(server.dataDir, '.forward-spool');
      await until(async () => (await readdir(spool)).length === 0 && collector.accepted.length > 0);
      const forwarded = collector.accepted
        .filter((r) => r.path === '/v1/logs')
        .flatMap((r) => otlpItems(r.body))
        .map((item) => (item.body as { stringValue: string }).stringValue);
      expect(forwarded.sort()).toEqual([...ids, ...more].sort());
      expect(collector.violations).toEqual([]);
    } finally {
      expect(await server.stop()).toBe(0);
      await collector.close();
    }
  }, 60_000);
});

describe('the primary’s appends (storeAppends)', () => {
  const valid = (id: string): ValidBody => {
    const result = validateBody(batch(id));
    if (!result.ok) throw new Error(result.reason);
    return result.body;
  };
  const append = (id: number, body: ValidBody, forward = true) => ({
    id,
    batchId: body.batchId,
    receivedAt: NOW,
    texts: batchTexts(body, NOW, undefined),
    ...(forward ? { body } : {}),
  });

  it('spools a batch once when it is first stored, before its answer and whether or not the worker is there', async () => {
    const store = await openStore(await tempDir());
    const spooled: string[] = [];
    const results: Result[] = [];
    const handle = storeAppends(store, { onAccepted: (b) => spooled.push(b.batchId), onError: () => {} });
    const answered = (n: number) =>
      new Promise<void>((resolve) => {
        const seen = results.length + n;
        const check = (): void => void (results.length >= seen ? resolve() : setImmediate(check));
        check();
      });

    // Two workers' copies of one batch in the same turn: one is stored and spooled.
    let wait = answered(2);
    handle([append(1, valid('a'))], (r) => results.push(r));
    handle([append(2, valid('a'))], (r) => results.push(r));
    await wait;
    expect(spooled).toEqual(['a']);
    expect(results.map((r) => r.result?.duplicate).sort()).toEqual([false, true]);

    // The worker died before its answer could go back: the batch is spooled all the same...
    await new Promise<void>((resolve) =>
      handle([append(3, valid('b'))], () => {
        expect(spooled).toEqual(['a', 'b']);
        resolve();
      }),
    );
    // ...and its resend through another worker is a duplicate, not spooled again.
    wait = answered(1);
    handle([append(4, valid('b'))], (r) => results.push(r));
    await wait;
    expect(results.at(-1)?.result?.duplicate).toBe(true);
    // Without forwarding no batch travels, and nothing is spooled.
    wait = answered(1);
    handle([append(5, valid('c'), false)], (r) => results.push(r));
    await wait;
    expect(spooled).toEqual(['a', 'b']);
    await store.close();
  });
});
