/**
 * `pwa-telemetry serve --workers 2` as a child process, from the compiled CLI (build it with
 * `ensureBuilt` from child-server.ts first), for the tests of the cluster.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from './harness.js';

export const bin = fileURLToPath(new URL('../../bin/pwa-telemetry.js', import.meta.url));

/** The pids of a process's children (its workers). */
export async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.trim().split(' ').filter(Boolean).map(Number);
}

export interface Workers {
  url: string;
  pid: number;
  dataDir: string;
  /** SIGTERM; resolves with the exit code, or 'hung' (then kills the processes) 10 s later. */
  stop(): Promise<unknown>;
}

/** Starts `serve --workers 2` with extra flags, over a new data dir unless `--data-dir` is given. */
export async function startWorkers(...flags: string[]): Promise<Workers> {
  const given = flags.indexOf('--data-dir');
  const dataDir = given === -1 ? await tempDir() : flags[given + 1]!;
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--workers',
      '2',
      ...(given === -1 ? ['--data-dir', dataDir] : []),
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const first = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return {
    url: /listening on (http:\/\/\S+)\/ingest$/.exec(first)![1]!,
    pid: child.pid!,
    dataDir,
    stop: async () => {
      const workers = await children(child.pid!).catch(() => []);
      child.kill('SIGTERM');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000)));
      const code = await Promise.race([exited, hung]);
      clearTimeout(timer);
      if (code === 'hung') {
        for (const pid of [child.pid!, ...workers, ...(await children(child.pid!).catch(() => []))])
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
      }
      return code;
    },
  };
}
