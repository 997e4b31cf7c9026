// @vitest-environment node
/** The dashboard's store index: built from what is on disk, then follows appends by reading only new bytes. */
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreIndex } from '../../src/server/dashboard/store-index.js';
import { batch, cleanup, NOW, post, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

const line = (message: string, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ timestamp: NOW, level: 'info', message, context: {}, session_id: 's', batch_id: message, received_at: new Date(NOW).toISOString(), ...extra })}\n`;

describe('store index', () => {
  it('indexes what was stored before it started, and only new complete lines after', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'), { recursive: true });
    const file = join(dataDir, 'logs', `${TODAY}.jsonl`);
    await writeFile(file, line('a') + line('b', { resource: { app: 'quiz', version: '3.1.0' } }) + '{"torn');
    const index = new StoreIndex(dataDir);
    await index.refresh();
    expect(index.data.logs.count).toBe(2);
    expect(index.data.versions.values).toEqual(['', '3.1.0']);

    // The torn line completes as garbage (the store starts a fresh line after it), then a good line.
    await appendFile(file, '\n' + line('c'));
    await index.refresh();
    expect(index.data.logs.count).toBe(3);
    expect(index.data.skipped).toBe(1);
    const [item] = await index.items(index.data.logs, [2]);
    expect(item?.message).toBe('c');
  });

  it('starts over when a day file it read is deleted (retention)', async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, 'logs'), { recursive: true });
    await writeFile(join(dataDir, 'logs', '2026-03-14.jsonl'), line('old'));
    await writeFile(join(dataDir, 'logs', `${TODAY}.jsonl`), line('new'));
    const index = new StoreIndex(dataDir);
    await index.refresh();
    expect(index.data.logs.count).toBe(2);
    await rm(join(dataDir, 'logs', '2026-03-14.jsonl'));
    await index.refresh();
    expect(index.data.logs.count).toBe(1);
  });

  it('follows the running server: a batch is in the API as soon as it is acknowledged', async () => {
    const server = await serve();
    for (let i = 0; i < 3; i++) {
      expect((await post(server.url, batch(`b${i}`))).status).toBe(200);
      const res = await fetch(`${server.url}/dashboard/api/meta`);
      const meta = (await res.json()) as { counts: { logs: number } };
      expect(meta.counts.logs).toBe(i + 1);
    }
  });
});
