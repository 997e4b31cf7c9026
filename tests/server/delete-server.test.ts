// @vitest-environment node
// `delete` while a server owns the data dir: the server rewrites each day file under its store's
// write lock, so lines it appends meanwhile are neither lost nor written to the replaced file; the
// dashboard index and the forward spool forget the subject too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetaResponse } from '../../src/server/dashboard/api-types.js';
import { openStore, runCli, validateBody, type CliIo, type ValidBody } from '../../src/server/index.js';
import { ensureBuilt } from './child-server.js';
import { batch, cleanup, items, lines, NOW, post, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

function terminal(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => void out.push(line),
    stderr: (line) => void err.push(line),
    untilStopped: () => new Promise<void>(() => undefined),
  };
}

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const io = terminal();
  const code = await runCli(['delete', ...args], {}, io);
  return { code, out: io.out, err: io.err };
}

/** A native batch of `logs` log lines (about 150 bytes each) and one metric. */
function body(batchId: string, session: string, logs = 20, extra: Record<string, unknown> = {}): unknown {
  return {
    batchId,
    session: { id: session },
    resource: { app: 'quiz', version: '1.0.0' },
    logs: Array.from({ length: logs }, (_, i) => ({
      timestamp: NOW,
      level: 'info',
      message: `line ${i} of ${batchId}`,
      context: { i, page: '/quiz/42' },
    })),
    metrics: [{ timestamp: NOW, name: 'LCP', value: 1200, labels: {} }],
    ...extra,
  };
}

async function send(url: string, value: unknown): Promise<number> {
  const res = await post(url, value);
  await res.arrayBuffer();
  return res.status;
}

function valid(value: unknown): ValidBody {
  const result = validateBody(value);
  if (!result.ok) throw new Error(result.reason);
  return result.body;
}

describe('store.exclusive', () => {
  it('holds appends back while a file is replaced, then writes them to the new file', async () => {
    const dataDir = await tempDir();
    const store = await openStore(dataDir);
    await store.append(valid(batch('before')), NOW);
    const path = join(dataDir, 'logs', `${TODAY}.jsonl`);
    let appended: Promise<unknown> | undefined;
    let done = false;
    await store.exclusive(path, async () => {
      appended = store.append(valid(batch('during')), NOW).then(() => (done = true));
      // The group's write is scheduled with setImmediate: it would have run by now.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toBe(false);
      expect((await items(dataDir, 'logs')).map((item) => item.batch_id)).toEqual(['before']);
      // What delete does: a new file renamed over the day file.
      await writeFile(`${path}.tmp`, '');
      await rename(`${path}.tmp`, path);
    });
    await appended;
    // The held line went to the new file, not to the replaced one (still open until the lock ended).
    expect((await items(dataDir, 'logs')).map((item) => item.batch_id)).toEqual(['during']);
    await store.close();
  });
});

describe('delete with a running server', () => {
  it('while the server keeps ingesting: every other line kept once, no line of the subject left', async () => {
    const server = await serve({ rateLimit: 'off' });
    // 200 batches of the subject among 200 of others: about 1.3 MB to rewrite per logs file.
    for (let i = 0; i < 200; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, k) => [
          send(server.url, body(`v${i + k}`, 'victim')),
          send(server.url, body(`o${i + k}`, `other-${k % 4}`)),
        ]).flat(),
      );
    }
    const acked = new Set(Array.from({ length: 200 }, (_, i) => `o${i}`));
    let stop = false;
    let deleting = false;
    let ackedDuring = 0;
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let n = 0; !stop; n++) {
        const id = `k${c}-${n}`;
        if ((await send(server.url, body(id, `keep-${c}`, 5))) !== 200) continue;
        acked.add(id);
        if (deleting) ackedDuring++;
      }
    });
    while (acked.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    deleting = true;
    const result = await cli('--session', 'victim', '--data-dir', server.dataDir);
    deleting = false;
    // Some more after the delete, so lines appended after the rename are checked too.
    const after = acked.size;
    while (acked.size < after + 100) await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await Promise.all(clients);

    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(ackedDuring).toBeGreaterThan(0);
    expect(result.out).toEqual([
      `logs/${TODAY}.jsonl: removed 4000 lines`,
      `metrics/${TODAY}.jsonl: removed 200 lines`,
      `total: removed 4200 lines of session victim from 2 files (done by the server, pid ${process.pid})`,
    ]);
    const logs = await items(server.dataDir, 'logs');
    const metrics = await items(server.dataDir, 'metrics');
    expect(logs.filter((item) => item.session_id === 'victim')).toEqual([]);
    expect(metrics.filter((item) => item.session_id === 'victim')).toEqual([]);
    const perBatch = new Map<string, number>();
    for (const item of logs)
      perBatch.set(item.batch_id as string, (perBatch.get(item.batch_id as string) ?? 0) + 1);
    expect([...perBatch.keys()].sort()).toEqual([...acked].sort());
    for (const [id, n] of perBatch) expect(n).toBe(id.startsWith('o') ? 20 : 5);
    expect(metrics.map((item) => item.batch_id).sort()).toEqual([...acked].sort());

    // A client resending a deleted batch is answered as before and it is not stored again.
    const resend = await post(server.url, body('v0', 'victim'));
    expect(await resend.json()).toMatchObject({ duplicate: true });
    expect((await items(server.dataDir, 'logs')).filter((item) => item.session_id === 'victim')).toEqual([]);
  }, 30_000);

  it('the dashboard forgets the subject, even when the file grows past its old size again', async () => {
    const server = await serve();
    await send(server.url, body('v', 'victim', 40));
    await send(server.url, body('o', 'other', 10));
    const meta = async (): Promise<MetaResponse> =>
      (await (await fetch(`${server.url}/dashboard/api/meta`)).json()) as MetaResponse;
    expect((await meta()).sessions.map((s) => s.id).sort()).toEqual(['other', 'victim']);

    expect((await cli('--session', 'victim', '--data-dir', server.dataDir)).code).toBe(0);
    // More than the 40 removed lines: without a rebuild the index would read on from its old offset.
    for (const id of ['n1', 'n2', 'n3']) await send(server.url, body(id, 'new', 20));
    const after = await meta();
    expect(after.sessions.map((s) => s.id).sort()).toEqual(['new', 'other']);
    expect(after.counts).toEqual({ logs: 70, metrics: 4, traces: 0 });
  });

  it('removes the subject’s batches from the forward spool, by session and by anonymous id', async () => {
    const server = await serve({ forwardOtlp: await deadUrl() });
    await send(server.url, body('v', 'victim', 3));
    await send(server.url, body('o', 'other', 3));
    await send(server.url, body('a', 'someone', 3, { anonymousId: 'anon-v' }));
    const spooled = async (): Promise<string[]> => {
      const dir = join(server.dataDir, '.forward-spool');
      const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
      return Promise.all(
        names.map(
          async (name) =>
            (JSON.parse(await readFile(join(dir, name), 'utf8')) as { session: string }).session,
        ),
      );
    };

    const bySession = await cli('--session', 'victim', '--data-dir', server.dataDir);
    expect(bySession.out).toContain('.forward-spool: removed 4 items not yet forwarded');
    expect((await spooled()).sort()).toEqual(['other', 'someone']);
    const byAnonymous = await cli('--anonymous-id', 'anon-v', '--data-dir', server.dataDir);
    expect(byAnonymous.out).toContain('.forward-spool: removed 4 items not yet forwarded');
    expect(await spooled()).toEqual(['other']);
    expect((await items(server.dataDir, 'logs')).map((item) => item.batch_id)).toEqual(['o', 'o', 'o']);
  });

  it('a dry run through the server lists and changes nothing', async () => {
    const server = await serve();
    await send(server.url, body('v', 'victim', 3));
    const before = await lines(server.dataDir, 'logs');
    const dry = await cli('--session', 'victim', '--data-dir', server.dataDir, '--dry-run');
    expect(dry.out).toEqual([
      `logs/${TODAY}.jsonl: would remove 3 lines`,
      `metrics/${TODAY}.jsonl: would remove 1 lines`,
      `total: would remove 4 lines of session victim from 2 files (dry run: nothing changed) (done by the server, pid ${process.pid})`,
    ]);
    expect(await lines(server.dataDir, 'logs')).toEqual(before);
  });
});

describe('a deleted batch resent after a restart', () => {
  /** Resends `v1` to a new server over `dataDir`: acknowledged as a duplicate, nothing stored. */
  async function refusedAfterRestart(dataDir: string, resent: unknown): Promise<void> {
    const next = await serve({ dataDir });
    const res = await post(next.url, resent);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ duplicate: true });
    // A batch never seen is still stored: only the deleted ones are refused.
    expect(await send(next.url, body('o2', 'other', 1))).toBe(200);
    expect((await items(dataDir, 'logs')).map((item) => item.batch_id)).toEqual(['o1', 'o1', 'o2']);
    expect((await items(dataDir, 'metrics')).map((item) => item.batch_id)).toEqual(['o1', 'o2']);
  }

  it('is refused by the next server when the server did the delete', async () => {
    const server = await serve();
    expect(await send(server.url, body('v1', 'victim', 2))).toBe(200);
    expect(await send(server.url, body('o1', 'other', 2))).toBe(200);
    const result = await cli('--session', 'victim', '--data-dir', server.dataDir);
    expect(result.out.at(-1)).toMatch(/^total: removed 3 lines .*\(done by the server/);
    await server.close();
    await refusedAfterRestart(server.dataDir, body('v1', 'victim', 2));
  });

  it('is refused by the next server when the command did the delete alone', async () => {
    const server = await serve();
    const victim = body('v1', 'someone', 2, { anonymousId: 'anon-v' });
    expect(await send(server.url, victim)).toBe(200);
    expect(await send(server.url, body('o1', 'other', 2))).toBe(200);
    await server.close();
    const result = await cli('--anonymous-id', 'anon-v', '--data-dir', server.dataDir);
    expect(result.out.at(-1)).toMatch(/^total: removed 3 lines .*\(no server running\)$/);
    await refusedAfterRestart(server.dataDir, victim);
  });
});

describe('delete with serve --workers 2', () => {
  it('is done by the primary, which alone writes', async () => {
    await ensureBuilt();
    const dataDir = await tempDir();
    const bin = fileURLToPath(new URL('../../bin/pwa-telemetry.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--workers', '2', '--rate-limit', 'off'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once('line', resolve),
    );
    const url = /listening on (http:\/\/\S+)\/ingest$/.exec(first)![1]!;
    try {
      for (const [id, session] of [
        ['v1', 'victim'],
        ['o1', 'other'],
        ['v2', 'victim'],
      ]) {
        expect(await send(url, { ...batch(id!), session: { id: session } })).toBe(200);
      }
      const result = await cli('--session', 'victim', '--data-dir', dataDir);
      expect(result.out.at(-1)).toBe(
        `total: removed 6 lines of session victim from 3 files (done by the server, pid ${child.pid})`,
      );
      // This server runs on the real clock.
      const today = new Date().toISOString().slice(0, 10);
      for (const kind of ['logs', 'traces', 'metrics'] as const) {
        expect((await items(dataDir, kind, today)).map((item) => item.batch_id)).toEqual(['o1']);
      }
      expect(await send(url, { ...batch('o2'), session: { id: 'other' } })).toBe(200);
      expect((await items(dataDir, 'logs', today)).map((item) => item.batch_id)).toEqual(['o1', 'o2']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    // A clean stop withdraws the announcement.
    expect(existsSync(join(dataDir, '.admin.json'))).toBe(false);
  }, 60_000);
});

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}`;
}
