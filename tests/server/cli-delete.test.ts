// @vitest-environment node
// `pwa-telemetry delete` as a command: flags and exit codes, the run without a server, and the
// hand-over with a server that is gone or starting (the delete lock).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdmin } from '../../src/server/admin.js';
import { takeDeleteLock } from '../../src/server/delete-lock.js';
import { runCli, type CliIo } from '../../src/server/index.js';
import { batch, cleanup, items, post, serve, tempDir, TODAY } from './harness.js';

afterEach(cleanup);

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (line) => void out.push(line),
    stderr: (line) => void err.push(line),
    untilStopped: () => new Promise<void>(() => undefined),
  };
  const code = await runCli(['delete', ...args], {}, io);
  return { code, out, err };
}

const line = (session: string, message: string): string =>
  `${JSON.stringify({ message, session_id: session, anonymous_id: `anon-${session}` })}\n`;

async function storeWith(dataDir: string): Promise<void> {
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  await writeFile(join(dataDir, 'logs', `${TODAY}.jsonl`), line('a', '1') + line('b', '2') + line('a', '3'));
}

/** The pid of a process that has exited: a lock holder that is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('delete: flags', () => {
  it('prints its usage for --help and exits 0', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: pwa-telemetry delete --session <id> \| --anonymous-id <id>/);
  });

  it.each([
    [[], 'give exactly one of --session <id> or --anonymous-id <id>'],
    [['--session', 'a', '--anonymous-id', 'b'], 'give exactly one of --session <id> or --anonymous-id <id>'],
    [['--session', ''], '--session must not be empty'],
    [['--anonymous-id', 'a b'], '--anonymous-id must be 1 to 64 characters of A-Z a-z 0-9 _ -'],
    [['--session', 'a', '--bogus'], "Unknown option '--bogus'"],
    [['--session'], "Option '--session <value>' argument missing"],
  ])('%j exits 2: %s', async (args, message) => {
    const { code, err } = await cli(...args);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
    expect(err[0]).toContain('(see pwa-telemetry delete --help)');
  });

  it('exits 1 when the data dir does not exist', async () => {
    const dataDir = join(await tempDir(), 'missing');
    const { code, err } = await cli('--session', 'a', '--data-dir', dataDir);
    expect(code).toBe(1);
    expect(err).toEqual([`pwa-telemetry delete: no data dir at ${dataDir}`]);
  });
});

describe('delete without a server', () => {
  it('rewrites the files itself, by session or anonymous id, and says so', async () => {
    const dataDir = await tempDir();
    await storeWith(dataDir);
    const { code, out } = await cli('--session', 'a', '--data-dir', dataDir);
    expect(code).toBe(0);
    expect(out).toEqual([
      `logs/${TODAY}.jsonl: removed 2 lines`,
      'total: removed 2 lines of session a from 1 files (no server running)',
    ]);
    expect(await items(dataDir, 'logs')).toEqual([{ message: '2', session_id: 'b', anonymous_id: 'anon-b' }]);
    expect((await cli('--anonymous-id', 'anon-b', '--data-dir', dataDir)).out.at(-1)).toBe(
      'total: removed 1 lines of anonymous id anon-b from 1 files (no server running)',
    );
    expect(await items(dataDir, 'logs')).toEqual([]);
    // The lock is released.
    expect(existsSync(join(dataDir, '.delete.lock'))).toBe(false);
  });

  /** What a killed server leaves: its announcement, naming a port that now refuses connections. */
  async function announcedByKilledServer(dataDir: string): Promise<string> {
    const server = await serve({ dataDir });
    const announced = join(dataDir, '.admin.json');
    const text = await readFile(announced, 'utf8');
    await server.close();
    await writeFile(announced, text);
    return announced;
  }

  it('treats an .admin.json whose server is gone (refused, not renewed for 30 s) as no server', async () => {
    const dataDir = await tempDir();
    await storeWith(dataDir);
    const announced = await announcedByKilledServer(dataDir);
    const old = new Date(Date.now() - 31_000);
    await utimes(announced, old, old);
    const { code, out } = await cli('--session', 'a', '--data-dir', dataDir);
    expect(code).toBe(0);
    expect(out.at(-1)).toBe('total: removed 2 lines of session a from 1 files (no server running)');
  });

  it('refuses (exit 1, nothing changed) when a refusing server renewed its announcement lately', async () => {
    // A server in another container sharing the data dir: its loopback listener is not reachable.
    const dataDir = await tempDir();
    await storeWith(dataDir);
    await announcedByKilledServer(dataDir);
    const { code, err } = await cli('--session', 'a', '--data-dir', dataDir);
    expect(code).toBe(1);
    expect(err[0]).toMatch(
      /refuses connections, but renewed the file 0 s ago: if it runs in another container/,
    );
    expect(await items(dataDir, 'logs')).toHaveLength(3);
  });

  it('exits 1 and changes nothing while another delete holds the lock', async () => {
    const dataDir = await tempDir();
    await storeWith(dataDir);
    const release = await takeDeleteLock(dataDir);
    const { code, err } = await cli('--session', 'a', '--data-dir', dataDir);
    await release();
    expect(code).toBe(1);
    expect(err).toEqual([
      `pwa-telemetry delete: another delete (process ${process.pid}) is running on this data dir; nothing was deleted by this run`,
    ]);
    expect(await items(dataDir, 'logs')).toHaveLength(3);
  });

  it('takes over a lock left by a process that died', async () => {
    const dataDir = await tempDir();
    await storeWith(dataDir);
    await writeFile(join(dataDir, '.delete.lock'), String(await deadPid()));
    expect((await cli('--session', 'a', '--data-dir', dataDir)).code).toBe(0);
    expect(await items(dataDir, 'logs')).toHaveLength(1);
  });
});

describe('the announcement', () => {
  it('is renewed while the server runs, and removed when it stops', async () => {
    const dataDir = await tempDir();
    const admin = await startAdmin(dataDir, () => undefined, 20);
    const announced = join(dataDir, '.admin.json');
    const old = new Date(Date.now() - 60_000);
    await utimes(announced, old, old);
    while ((await stat(announced)).mtimeMs < Date.now() - 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin.close();
    expect(existsSync(announced)).toBe(false);
  });
});

describe('a server starting during a delete without a server', () => {
  it('waits for the delete lock before it opens the store, then takes deletes itself', async () => {
    const dataDir = await tempDir();
    const release = await takeDeleteLock(dataDir);
    let started = false;
    const starting = serve({ dataDir }).then((server) => {
      started = true;
      return server;
    });
    // The server announced itself (so a delete from now on goes through it) and then waits.
    while (!existsSync(join(dataDir, '.admin.json'))) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);
    await release();
    const server = await starting;
    await post(server.url, batch('x'));
    const { out } = await cli('--session', 'session-1', '--data-dir', dataDir);
    expect(out.at(-1)).toBe(
      `total: removed 3 lines of session session-1 from 3 files (done by the server, pid ${process.pid})`,
    );
  });
});
