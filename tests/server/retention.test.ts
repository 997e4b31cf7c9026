// @vitest-environment node
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteExpired } from '../../src/server/index.js';
import { cleanup, NOW, serve, tempDir } from './harness.js';

afterEach(cleanup);

const DAY = 86_400_000;
const dayAgo = (days: number): string => new Date(NOW - days * DAY).toISOString().slice(0, 10);

async function fill(dataDir: string, files: Record<string, string[]>): Promise<void> {
  for (const [kind, names] of Object.entries(files)) {
    await mkdir(join(dataDir, kind), { recursive: true });
    for (const name of names) await writeFile(join(dataDir, kind, name), '{}\n');
  }
}

describe('retention', () => {
  it('deletes a 40-day-old file and keeps a 29-day-old one when the server starts', async () => {
    const dataDir = await tempDir();
    await fill(dataDir, {
      logs: [`${dayAgo(40)}.jsonl`, `${dayAgo(29)}.jsonl`],
      metrics: [`${dayAgo(40)}.jsonl`],
    });
    await serve({ dataDir, retentionDays: 30 });
    expect(await readdir(join(dataDir, 'logs'))).toEqual([`${dayAgo(29)}.jsonl`]);
    expect(await readdir(join(dataDir, 'metrics'))).toEqual([]);
  });

  it('keeps the file from exactly retentionDays ago and deletes the day before it', async () => {
    const dataDir = await tempDir();
    await fill(dataDir, { traces: [`${dayAgo(31)}.jsonl`, `${dayAgo(30)}.jsonl`] });
    const deleted = await deleteExpired(dataDir, 30, NOW);
    expect(deleted).toEqual([join(dataDir, 'traces', `${dayAgo(31)}.jsonl`)]);
    expect(await readdir(join(dataDir, 'traces'))).toEqual([`${dayAgo(30)}.jsonl`]);
  });

  it('deletes the ids of batches deleted from an expired day with it (bounding them as the lines are)', async () => {
    const dataDir = await tempDir();
    const [old, kept] = [dayAgo(31), dayAgo(30)];
    await fill(dataDir, { logs: [`${old}.jsonl`, `${old}.deleted`, `${kept}.jsonl`, `${kept}.deleted`] });
    // A `.deleted` file whose day file is gone already goes too.
    await fill(dataDir, { metrics: [`${dayAgo(40)}.deleted`] });
    const deleted = await deleteExpired(dataDir, 30, NOW);
    expect(deleted.sort()).toEqual(
      [
        join(dataDir, 'logs', `${old}.jsonl`),
        join(dataDir, 'logs', `${old}.deleted`),
        join(dataDir, 'metrics', `${dayAgo(40)}.deleted`),
      ].sort(),
    );
    expect((await readdir(join(dataDir, 'logs'))).sort()).toEqual([`${kept}.deleted`, `${kept}.jsonl`]);
  });

  it('leaves files that are not day files alone', async () => {
    const dataDir = await tempDir();
    const others = ['notes.txt', `${dayAgo(40)}.jsonl.bak`, '2001-02-30.jsonl'];
    await fill(dataDir, { logs: others, other: [`${dayAgo(40)}.jsonl`] });
    expect(await deleteExpired(dataDir, 30, NOW)).toEqual([]);
    expect((await readdir(join(dataDir, 'logs'))).sort()).toEqual([...others].sort());
    expect(await readdir(join(dataDir, 'other'))).toEqual([`${dayAgo(40)}.jsonl`]);
  });

  it('works on a data dir that has no kind directories yet', async () => {
    expect(await deleteExpired(await tempDir(), 30, NOW)).toEqual([]);
  });
});
