/**
 * The ingest server in its own process, for tests that kill it: runs the compiled server from
 * dist/ (`npm run build:lib`, which `npm test` runs first), compiling it here when it is missing or
 * older than the sources.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'dist/server/index.js');

function newest(dir: string): number {
  return Math.max(...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs));
}

/** Compiles the library unless dist/server is newer than every file of src/server. */
export async function ensureBuilt(): Promise<void> {
  let built = 0;
  try {
    built = statSync(entry).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newest(join(root, 'src/server'))) return;
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
    },
  );
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<unknown>;
}

/**
 * Starts a server process on a free port over `dataDir`, rate limit off, its clock fixed at `now`
 * (epoch ms) like the in-process servers; `scriptDir` holds its launcher.
 */
export async function startChild(dataDir: string, scriptDir: string, now: number): Promise<ChildServer> {
  const script = join(scriptDir, 'serve.mjs');
  writeFileSync(
    script,
    `import { startServer } from ${JSON.stringify(entry)};\n` +
      `const s = await startServer({ port: 0, dataDir: process.argv[2], rateLimit: 'off', now: () => ${now}, onError() {} });\n` +
      `process.stdout.write(s.port + '\\n');\n`,
  );
  const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const firstLine = new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  const line = await Promise.race([
    firstLine,
    exited.then(() => {
      throw new Error('server process exited before listening');
    }),
  ]);
  return { url: `http://127.0.0.1:${Number(line)}`, child, exited };
}
