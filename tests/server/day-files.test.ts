// @vitest-environment node
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAST_WRITE } from '../../src/server/day-files.js';
import { batch, cleanup, items, post, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

describe('a write cut short by a crash', () => {
  it('is cut off at the next start, so a resend of its batch is stored whole', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'));
    const file = join(dataDir, 'logs', `${TODAY}.jsonl`);
    const done = `${JSON.stringify({ batch_id: 'done', level: 'info', message: 'kept' })}\n`;
    // Two of the three lines of batch b1 made it to disk before the process died, the third not at all.
    const partial = `${JSON.stringify({ batch_id: 'b1', level: 'info', message: 'one' })}\n`.repeat(2);
    await writeFile(file, done + partial);
    const { ino } = await stat(file);
    const record = `${TODAY}.jsonl ${Buffer.byteLength(done)} ${Buffer.byteLength(partial) + 60} ${ino}`;
    await writeFile(join(dataDir, 'logs', LAST_WRITE), `${record.padEnd(127)}\n`);

    const server = await serve({ dataDir });
    expect(await readFile(file, 'utf8')).toBe(done);
    const res = await post(server.url, batch('b1'));
    expect(await res.json()).toEqual({ status: 'ok', received: { logs: 1, traces: 1, metrics: 1 } });
    expect((await items(dataDir, 'logs')).map((i) => i.batch_id)).toEqual(['done', 'b1']);
  });

  it('leaves a file alone when its last write finished', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'));
    const file = join(dataDir, 'logs', `${TODAY}.jsonl`);
    const text = `${JSON.stringify({ batch_id: 'b1', level: 'info', message: 'm' })}\n`;
    await writeFile(file, text);
    const { ino } = await stat(file);
    await writeFile(
      join(dataDir, 'logs', LAST_WRITE),
      `${TODAY}.jsonl 0 ${Buffer.byteLength(text)} ${ino}\n`,
    );
    const server = await serve({ dataDir });
    expect(await (await post(server.url, batch('b1'))).json()).toMatchObject({ duplicate: true });
    expect(await readFile(file, 'utf8')).toMatch(
      new RegExp(`^${text.replace(/[{}[\]()*+?.\\^$|]/g, '\\$&')}`),
    );
  });

  it('leaves a file alone that a tool replaced since the record was written', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'));
    const file = join(dataDir, 'logs', `${TODAY}.jsonl`);
    const text = `${JSON.stringify({ batch_id: 'b1', level: 'info', message: 'm' })}\n`;
    await writeFile(file, text);
    const { ino } = await stat(file);
    // The record names another inode: the file was rewritten (a delete tool) after that write.
    await writeFile(join(dataDir, 'logs', LAST_WRITE), `${TODAY}.jsonl 0 ${text.length + 500} ${ino + 1}\n`);
    await serve({ dataDir });
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
