/**
 * `pwa-telemetry delete --session <id> | --anonymous-id <id>`: removes every stored line of one
 * subject (a deletion request), from every day file and from the forward spool, and prints what it
 * removed. When a server has the data dir, the server does it under its write lock (admin.ts), so no
 * line it appends meanwhile is lost; otherwise the command does it itself, holding the delete lock so
 * a server starting meanwhile waits (delete-lock.ts).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ADMIN_FILE,
  HEARTBEAT_MS,
  readAdminInfo,
  subjectOf,
  type AdminInfo,
  type DeleteAnswer,
} from './admin.js';
import { dataDirOf, parseFlags, UsageError } from './cli-args.js';
import type { CliIo } from './cli.js';
import { deleteSubject, removeStaleTemps, spooledMatcher, type Subject } from './delete-lines.js';
import { LockedError, takeDeleteLock } from './delete-lock.js';
import { openSpool } from './forward-spool.js';
import { ANONYMOUS_ID_RULE } from './validate.js';

export const DELETE_USAGE = `Usage: pwa-telemetry delete --session <id> | --anonymous-id <id> [options]

Removes every stored line of one session or one anonymous user from every day file (each file
rewritten atomically) and from the OTLP forward spool, and prints what it removed. Safe while the
server runs: the running server does the work itself.

Options:
  --session <id>          the session id (the client's getSessionId())
  --anonymous-id <id>     the anonymous user id (the client's getAnonymousId())
  --data-dir <path>       TELEMETRY_DATA_DIR   default ./.data/telemetry
  --dry-run               list what would be removed, remove nothing
  --help                  show this text`;

const FLAGS = {
  session: { type: 'string' },
  'anonymous-id': { type: 'string' },
  'data-dir': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function runDelete(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help === true) {
    io.stdout(DELETE_USAGE);
    return 0;
  }
  const input = { session: flags.session, anonymousId: flags['anonymous-id'] };
  if ((input.session === undefined) === (input.anonymousId === undefined)) {
    throw new UsageError('give exactly one of --session <id> or --anonymous-id <id>');
  }
  const subject = subjectOf(input);
  if (!subject) {
    throw new UsageError(
      input.session !== undefined ? '--session must not be empty' : `--anonymous-id ${ANONYMOUS_ID_RULE}`,
    );
  }
  const dryRun = flags['dry-run'] === true;
  const dataDir = resolve(dataDirOf(flags['data-dir'], env));
  if (!existsSync(dataDir)) {
    io.stderr(`pwa-telemetry delete: no data dir at ${dataDir}`);
    return 1;
  }

  let result: { answer: DeleteAnswer; via: string };
  try {
    result = await run(dataDir, subject, dryRun);
  } catch (error) {
    const reason = error instanceof LockedError ? error.message : String(error);
    io.stderr(`pwa-telemetry delete: ${reason}; nothing was deleted by this run`);
    return 1;
  }
  print(io, result.answer, dryRun, result.via, subject);
  return 0;
}

async function run(
  dataDir: string,
  subject: Subject,
  dryRun: boolean,
): Promise<{ answer: DeleteAnswer; via: string }> {
  let server = await runningServer(dataDir);
  if (!server) {
    const release = await takeDeleteLock(dataDir);
    try {
      // A server that started after the first look announced itself before checking the lock.
      server = await runningServer(dataDir);
      if (!server) return { answer: await deleteHere(dataDir, subject, dryRun), via: 'no server running' };
    } finally {
      await release();
    }
  }
  return {
    answer: await ask(server, '/delete', { ...subject, dryRun }),
    via: `done by the server, pid ${server.pid}`,
  };
}

/** The server named by `.admin.json` if it answers; undefined when there is none (or it is gone). */
async function runningServer(dataDir: string): Promise<AdminInfo | undefined> {
  const info = await readAdminInfo(dataDir);
  if (!info) return undefined;
  try {
    await ask(info, '/ping');
    return info;
  } catch (error) {
    const file = join(dataDir, ADMIN_FILE);
    // Refused, and not renewed for 3 beats: the server that wrote it is gone (killed; a clean stop
    // removes it). Anything else may be a live server: doing it here could lose its appends.
    if (causeCode(error) === 'ECONNREFUSED') {
      // Gone meanwhile (a clean stop): as old as can be.
      const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0);
      if (age > 3 * HEARTBEAT_MS) return undefined;
      throw new Error(
        `the server announced in ${file} refuses connections, but renewed the file ${Math.round(age / 1000)} s ago: ` +
          'if it runs in another container or host, run delete there; if it was just stopped, retry in 30 s',
        { cause: error },
      );
    }
    throw new Error(`a server announced in ${file} did not answer (${String(error)})`, { cause: error });
  }
}

async function ask<T>(info: AdminInfo, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${info.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${info.secret}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(body === undefined ? 5000 : 30 * 60_000),
  });
  const answer = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`server answered ${res.status}: ${answer.error ?? ''}`);
  return answer;
}

/** No server has the data dir, and the lock keeps one from starting: the files are ours alone. */
async function deleteHere(dataDir: string, subject: Subject, dryRun: boolean): Promise<DeleteAnswer> {
  if (!dryRun) await removeStaleTemps(dataDir);
  const report = await deleteSubject(dataDir, subject, { dryRun });
  let spool = 0;
  const spoolDir = join(dataDir, '.forward-spool');
  if (existsSync(spoolDir)) {
    const opened = await openSpool(spoolDir, { maxBytes: Infinity, onDrop: () => undefined });
    spool = await opened.removeItems(spooledMatcher(subject), dryRun);
  }
  return { ...report, spool };
}

function print(io: CliIo, answer: DeleteAnswer, dryRun: boolean, via: string, subject: Subject): void {
  const verb = dryRun ? 'would remove' : 'removed';
  const who = 'session' in subject ? `session ${subject.session}` : `anonymous id ${subject.anonymousId}`;
  for (const { file, removed } of answer.files) io.stdout(`${file}: ${verb} ${removed} lines`);
  if (answer.spool > 0) io.stdout(`.forward-spool: ${verb} ${answer.spool} items not yet forwarded`);
  io.stdout(
    `total: ${verb} ${answer.total} lines of ${who} from ${answer.files.length} files` +
      `${dryRun ? ' (dry run: nothing changed)' : ''} (${via})`,
  );
}

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code;
}
