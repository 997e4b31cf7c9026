/**
 * How `pwa-telemetry delete` reaches a running server. A delete must not race the server's appends:
 * a line appended to a day file between the delete reading it and renaming the rewritten copy over
 * it would be lost, acknowledged or not. So while a server has the data dir, the server itself does
 * the delete, each file under its store's write lock (store.ts `exclusive`), then drops the subject
 * from the dashboard index and the forward spool. The CLI finds it through `<dataDir>/.admin.json`
 * (`{ pid, url, secret }`, readable by the owner only): a loopback HTTP listener of its own, apart
 * from the public port, taking `POST /delete` with the secret as a bearer token. With `--workers`,
 * the primary (which alone writes) runs it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tokenMatches } from './auth.js';
import { deleteSubject, spooledMatcher, type DeleteReport, type Subject } from './delete-lines.js';
import { waitForDeleteLock } from './delete-lock.js';
import type { Spool } from './forward-spool.js';
import type { Store } from './store.js';
import { ANONYMOUS_ID } from './validate.js';

export const ADMIN_FILE = '.admin.json';
/**
 * The server touches `.admin.json` this often. A delete whose connection is refused treats the
 * server as gone only once the file is 3 beats old: a server in another container sharing the data
 * dir (its loopback is not ours) still looks alive, and the delete refuses rather than race it.
 */
export const HEARTBEAT_MS = 10_000;

/** What `.admin.json` holds. */
export interface AdminInfo {
  pid: number;
  url: string;
  secret: string;
}

/** A delete's answer: the day files' report plus the items removed from the forward spool. */
export interface DeleteAnswer extends DeleteReport {
  spool: number;
}

/** What a delete touches in a running server. */
export interface AdminTarget {
  store: Store;
  /** The dashboard's index, rebuilt after a delete that removed lines. */
  index?: { reset(): void };
  /** The forward spool (`--forward-otlp`). */
  removeSpooled?: Spool['removeItems'];
}

export interface Admin {
  /** Starts answering deletes (requests made before wait for it). */
  serve(target: AdminTarget): void;
  /** Stops listening and removes `.admin.json` if it is still this server's. */
  close(): Promise<void>;
}

/** How long a starting server waits for a `delete` run without a server to finish. */
const LOCK_WAIT_MS = 10 * 60_000;

/**
 * Listens on loopback, writes `.admin.json`, then waits while a `delete` run without a server holds
 * the data dir (delete-lock.ts): call before opening the store.
 */
export async function startAdmin(
  dataDir: string,
  log: (line: string) => void,
  heartbeatMs = HEARTBEAT_MS,
): Promise<Admin> {
  const secret = randomBytes(24).toString('hex');
  let serveTarget!: (target: AdminTarget) => void;
  const ready = new Promise<AdminTarget>((resolve) => (serveTarget = resolve));
  const server = createServer((req, res) => {
    handle(req, res, secret, ready).catch((error: unknown) => {
      log(`delete failed: ${String(error)}`);
      answer(res, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const info: AdminInfo = {
    pid: process.pid,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secret,
  };
  const file = join(dataDir, ADMIN_FILE);
  await mkdir(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(info), { mode: 0o600 });
  await rename(temp, file);
  const beat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, heartbeatMs);
  beat.unref();
  await waitForDeleteLock(dataDir, LOCK_WAIT_MS, () => log('waiting for a running delete to finish'));
  return {
    serve: serveTarget,
    async close() {
      clearInterval(beat);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Another server may have taken the data dir since: its file stays.
      if ((await readAdminInfo(dataDir))?.secret === secret) await unlink(file).catch(() => undefined);
    },
  };
}

/** The running server's `.admin.json`, or undefined when there is none (or it is unreadable). */
export async function readAdminInfo(dataDir: string): Promise<AdminInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dataDir, ADMIN_FILE), 'utf8')) as Partial<AdminInfo>;
    if (typeof info.url === 'string' && typeof info.secret === 'string' && typeof info.pid === 'number') {
      return info as AdminInfo;
    }
  } catch {
    // missing or torn: no server to talk to
  }
  return undefined;
}

/** Runs a delete in the server: day files under the store's lock, then index and spool. */
export async function serverDelete(
  target: AdminTarget,
  subject: Subject,
  dryRun: boolean,
): Promise<DeleteAnswer> {
  const { store } = target;
  const report = await deleteSubject(store.dataDir, subject, {
    dryRun,
    exclusive: (path, task) => store.exclusive(path, task),
  });
  if (!dryRun && report.total > 0) target.index?.reset();
  const spool = target.removeSpooled ? await target.removeSpooled(spooledMatcher(subject), dryRun) : 0;
  return { ...report, spool };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
  ready: Promise<AdminTarget>,
): Promise<void> {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !tokenMatches(auth.slice(7), secret)) {
    return answer(res, 401, { error: 'wrong secret' });
  }
  if (req.url === '/ping') return answer(res, 200, { pid: process.pid });
  if (req.url !== '/delete' || req.method !== 'POST') return answer(res, 404, { error: 'no such route' });
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  let input: { session?: unknown; anonymousId?: unknown; dryRun?: unknown };
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
  } catch {
    return answer(res, 400, { error: 'invalid JSON' });
  }
  const subject = subjectOf(input);
  if (!subject) return answer(res, 400, { error: 'give exactly one of session, anonymousId' });
  answer(res, 200, await serverDelete(await ready, subject, input.dryRun === true));
}

/** Exactly one non-empty id; an anonymous id of the stored form. */
export function subjectOf(input: { session?: unknown; anonymousId?: unknown }): Subject | undefined {
  const { session, anonymousId } = input;
  if (typeof session === 'string' && session !== '' && anonymousId === undefined) return { session };
  if (typeof anonymousId === 'string' && ANONYMOUS_ID.test(anonymousId) && session === undefined) {
    return { anonymousId };
  }
  return undefined;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
