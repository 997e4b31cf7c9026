// @vitest-environment node
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/server/index.js';
import { batch, cleanup, items, lines, NOW, post, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

describe('dedupe', () => {
  it('stores a resent batchId once and says it was a duplicate', async () => {
    const server = await serve();
    const first = await post(server.url, batch('b1'));
    const again = await post(server.url, batch('b1'));
    expect(await first.json()).toEqual({ status: 'ok', received: { logs: 1, traces: 1, metrics: 1 } });
    expect(await again.json()).toEqual({
      status: 'ok',
      received: { logs: 1, traces: 1, metrics: 1 },
      duplicate: true,
    });
    for (const kind of ['logs', 'traces', 'metrics'] as const) {
      expect(await lines(server.dataDir, kind)).toHaveLength(1);
    }
  });

  it('remembers stored batchIds across a restart on the same data dir', async () => {
    const first = await serve();
    await post(first.url, batch('b1'));
    await first.close();

    const second = await serve({ dataDir: first.dataDir });
    const res = await post(second.url, batch('b1'));
    expect(await res.json()).toMatchObject({ duplicate: true });
    expect(await lines(first.dataDir, 'logs')).toHaveLength(1);
  });

  it('stores only the missing kinds when a crash stored part of a batch', async () => {
    const dataDir = await tempDir();
    // As if the server died after writing the logs of b1 but before its metrics and traces.
    await mkdir(join(dataDir, 'logs'));
    const log = { level: 'info', message: 'Quiz started', batch_id: 'b1', session_id: 's', received_at: '' };
    await writeFile(join(dataDir, 'logs', `${TODAY}.jsonl`), `${JSON.stringify(log)}\n`);

    const server = await serve({ dataDir });
    const res = await post(server.url, batch('b1'));
    expect(await res.json()).toMatchObject({ status: 'ok', duplicate: true });
    expect(await lines(dataDir, 'logs')).toHaveLength(1);
    expect(await lines(dataDir, 'traces')).toHaveLength(1);
    expect(await lines(dataDir, 'metrics')).toHaveLength(1);
  });

  it('stores one copy when 20 identical batches arrive at once', async () => {
    const server = await serve();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(server.url, batch('same'))));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { duplicate?: boolean }[];
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    for (const kind of ['logs', 'traces', 'metrics'] as const) {
      expect(await lines(server.dataDir, kind)).toHaveLength(1);
    }
  });
});

describe('concurrent writes', () => {
  it('writes 50 concurrent batches as complete, parseable lines', async () => {
    const server = await serve();
    // Five 120 kB logs a batch: 600 kB per write, over Node's 512 KiB write chunk, so writes that
    // were not serialised would interleave and break lines.
    const logs = Array.from({ length: 5 }, (_, i) => ({
      level: 'info',
      message: `${i}:${'x'.repeat(120_000)}`,
    }));
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(server.url, batch(`batch-${i}`, { logs }))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));

    const stored = await items(server.dataDir, 'logs');
    expect(stored).toHaveLength(250);
    // Each batch's lines are contiguous and in order.
    for (let b = 0; b < 50; b++) {
      const batchId = stored[b * 5]!.batch_id;
      expect(
        stored.slice(b * 5, b * 5 + 5).map((i) => [i.batch_id, String(i.message).split(':')[0]]),
      ).toEqual(['0', '1', '2', '3', '4'].map((n) => [batchId, n]));
    }
    expect(new Set(stored.map((i) => i.batch_id)).size).toBe(50);
  });
});

describe('torn lines', () => {
  it('starts the next append on a new line after a torn last line, and every complete line parses', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'));
    const file = join(dataDir, 'logs', `${TODAY}.jsonl`);
    const whole = JSON.stringify({ level: 'info', message: 'before', batch_id: 'old', session_id: null });
    // A crash in the middle of a line: half of a JSON object, no newline.
    await writeFile(file, `${whole}\n{"level":"info","message":"ha`);

    const server = await serve({ dataDir });
    expect((await post(server.url, batch('b1'))).status).toBe(200);
    expect((await post(server.url, batch('b2'))).status).toBe(200);

    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toEqual([
      whole,
      '{"level":"info","message":"ha',
      expect.stringContaining('"batch_id":"b1"'),
      expect.stringContaining('"batch_id":"b2"'),
      '',
    ]);
    const read = await server.store.readKind('logs');
    expect(read.skipped).toBe(1);
    expect(read.items.map((i) => i.batch_id)).toEqual(['old', 'b1', 'b2']);
  });

  it('opens a data dir whose files hold unparsable lines', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'metrics'));
    await writeFile(join(dataDir, 'metrics', `${TODAY}.jsonl`), 'garbage\n[1,2]\n{"batch_id":"b1"}\n{"na');
    const server = await serve({ dataDir });
    const res = await post(server.url, batch('b1'));
    expect(await res.json()).toMatchObject({ duplicate: true });
    expect(await lines(dataDir, 'metrics')).toHaveLength(4);
  });
});

describe('reading', () => {
  it('reads items of one kind oldest first, by day and with a limit', async () => {
    const dataDir = await tempDir();
    const store = await openStore(dataDir);
    const day = 86_400_000;
    await store.append(
      { batchId: 'd1', logs: [{ level: 'info', message: 'a' }], traces: [], metrics: [] },
      NOW - day,
    );
    await store.append(
      {
        batchId: 'd2',
        logs: [
          { level: 'info', message: 'b' },
          { level: 'warn', message: 'c' },
        ],
        traces: [],
        metrics: [],
      },
      NOW,
    );

    expect(await store.listDays('logs')).toEqual(['2026-03-14', TODAY]);
    expect(await store.listDays('traces')).toEqual([]);
    const all = await store.readKind('logs');
    expect(all.items.map((i) => i.message)).toEqual(['a', 'b', 'c']);
    expect((await store.readKind('logs', { limit: 2 })).items.map((i) => i.message)).toEqual(['b', 'c']);
    expect((await store.readKind('logs', { day: '2026-03-14' })).items.map((i) => i.message)).toEqual(['a']);
    expect((await store.readKind('logs', { day: '2020-01-01' })).items).toEqual([]);
    await expect(store.readKind('logs', { day: '../../etc/passwd' })).rejects.toThrow(RangeError);
  });

  it('ignores files in a kind directory that are not day files', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'));
    await appendFile(join(dataDir, 'logs', 'notes.txt'), 'hello');
    await appendFile(join(dataDir, 'logs', '2026-02-30.jsonl'), '{}\n');
    const store = await openStore(dataDir);
    expect(await store.listDays('logs')).toEqual([]);
  });

  it('keeps its own fields when an item carries fields of the same name', async () => {
    const server = await serve();
    const log = { level: 'info', message: 'm', batch_id: 'forged', received_at: 'never' };
    await post(server.url, batch('real', { logs: [log] }));
    expect((await items(server.dataDir, 'logs'))[0]).toMatchObject({
      batch_id: 'real',
      received_at: new Date(NOW).toISOString(),
    });
  });
});
