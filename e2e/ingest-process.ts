/**
 * The real ingest server as a separate process (`pwa-telemetry serve`), for faults an in-process
 * server cannot show honestly: a SIGKILL in the middle of a request, a restart that rebuilds the
 * dedupe index from disk. The command line is bundled from source once per Playwright worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
let bundled: Promise<string> | undefined;

/** Bundles e2e/ingest-cli.ts (and the server sources it imports) into one Node script; once per process. */
export function ingestCliScript(): Promise<string> {
  return (bundled ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'pwa-telemetry-ingest-cli-'));
    await build({
      root,
      configFile: false,
      envDir: false,
      logLevel: 'warn',
      build: {
        ssr: join(root, 'e2e/ingest-cli.ts'),
        outDir,
        emptyOutDir: true,
        minify: false,
        rollupOptions: { output: { entryFileNames: 'ingest-cli.js', format: 'es' } },
      },
    });
    return join(outDir, 'ingest-cli.js');
  })());
}

/** A free TCP port on 127.0.0.1, so that a restarted server listens where the proxy expects it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface IngestProcess {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** Starts the process and resolves once it listens. */
  start(): Promise<void>;
  /** SIGTERM: the server closes cleanly (the CLI waits for its queued writes). */
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, whatever it was doing. */
  kill(): Promise<void>;
}

export async function ingestProcess(dataDir: string, token: string): Promise<IngestProcess> {
  const script = await ingestCliScript();
  const port = await freePort();
  let child: ChildProcess | null = null;
  const args = [
    script,
    'serve',
    ...['--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--token', token],
    // Every request comes from 127.0.0.1; the rate limit is not what is under test.
    ...['--rate-limit', 'off'],
  ];

  function exited(proc: ChildProcess): Promise<void> {
    return proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = null;
    proc.kill(name);
    await exited(proc);
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    get running() {
      return child !== null;
    },
    start() {
      if (child) return Promise.resolve();
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: {} });
      child = proc;
      let output = '';
      return new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          if (output.includes('listening on')) resolve();
        };
        proc.stdout?.on('data', onData);
        proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        proc.once('exit', (code, sig) =>
          reject(new Error(`ingest process exited (${code ?? sig}) before listening:\n${output}`)),
        );
      });
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}
