/** Shared set-up for the server tests: real servers on port 0 over temp data dirs, and disk readers. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import type { Kind } from '../../src/telemetry/records.js';

/** A fixed clock: 2026-03-15 12:00 UTC, so day files have a known name. */
export const NOW = Date.parse('2026-03-15T12:00:00.000Z');
export const TODAY = '2026-03-15';

const dirs: string[] = [];
const servers: RunningServer[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pwa-telemetry-'));
  dirs.push(dir);
  return dir;
}

/** Starts a server (closed by `cleanup`) on port 0, in a new temp dir unless `dataDir` is given. */
export async function serve(
  options: Partial<ServerOptions> = {},
): Promise<RunningServer & { dataDir: string }> {
  const dataDir = options.dataDir ?? (await tempDir());
  const server = await startServer({ port: 0, now: () => NOW, onError: () => {}, ...options, dataDir });
  servers.push(server);
  return { ...server, dataDir };
}

/** Closes every server and removes every temp dir made since the last call; use in afterEach. */
export async function cleanup(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A valid native body with one item of each kind. */
export function batch(batchId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    batchId,
    sentAt: new Date(NOW).toISOString(),
    resource: { app: 'quiz', version: '1.0.0' },
    session: { id: 'session-1' },
    logs: [{ timestamp: NOW, level: 'info', message: 'Quiz started', context: { topic: 'Math' } }],
    traces: [
      {
        timestamp: NOW,
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        name: 'load',
        duration: 12,
        attributes: {},
      },
    ],
    metrics: [{ timestamp: NOW, name: 'LCP', value: 1234.5, labels: {} }],
    ...extra,
  };
}

/** POSTs JSON to `<url>/ingest` (or `path`). */
export function post(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; path?: string } = {},
): Promise<Response> {
  return fetch(`${url}${init.path ?? '/ingest'}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The raw lines of a day file (the empty string after the final newline dropped), [] when absent. */
export async function lines(dataDir: string, kind: Kind, day = TODAY): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, kind, `${day}.jsonl`), 'utf8');
  } catch {
    return [];
  }
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** Every line of a day file, parsed; throws if any line does not parse. */
export async function items(dataDir: string, kind: Kind, day = TODAY): Promise<Record<string, unknown>[]> {
  return (await lines(dataDir, kind, day)).map((line) => JSON.parse(line) as Record<string, unknown>);
}
