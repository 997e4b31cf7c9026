// @vitest-environment node
// `serve --workers 2`: the same batch arriving at both workers at once is still stored once, and the
// rate limit holds for the whole server, not per worker.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './child-server.js';
import { batch, cleanup, post, tempDir } from './harness.js';

afterEach(cleanup);
beforeAll(ensureBuilt, 60_000);

const bin = fileURLToPath(new URL('../../bin/pwa-telemetry.js', import.meta.url));

/** Starts `serve --workers 2` with extra flags; resolves with its URL and a stop function. */
async function startWorkers(...flags: string[]): Promise<{ url: string; stop(): Promise<unknown> }> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--port', '0', '--data-dir', await tempDir(), '--workers', '2', ...flags],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const first = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return {
    url: /listening on (http:\/\/\S+)\/ingest$/.exec(first)![1]!,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('serve --workers 2', () => {
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
