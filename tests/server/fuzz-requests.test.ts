// @vitest-environment node
/**
 * Seeded, repeatable fuzz of the ingest server: 10,000 malformed requests (fuzz-cases.ts), valid
 * batches among them (some sent two or three times, at once), a few bodies trickled or stalled and
 * a few raw malformed HTTP requests, against a real server on port 0 over a temp data dir. Every
 * malformed request must get its 4xx (never a 5xx, never a reset), every valid batch must be on disk
 * exactly once as sent, and every stored line must parse.
 * Another seed explores further: FUZZ_SEED=123 npx vitest run tests/server/fuzz-requests.test.ts
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/telemetry/records.js';
import { seeded } from '../telemetry/helpers.js';
import { generateCases, MAX_BODY, type FuzzCase } from './fuzz-cases.js';
import type { Json } from './fuzz-values.js';
import { cleanup, lines, serve } from './harness.js';

afterEach(cleanup);

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const MALFORMED = 10_000;
const TOKEN = 'fuzz-token-8f3a';
const CONCURRENCY = 16;
const STALL_TIMEOUT_MS = 1500;

interface Answer {
  status: number;
  body: string;
}

/** Sends a case over the keep-alive agent; a slow case writes its body in pieces, a stalled one stops half-way. */
function send(agent: Agent, port: number, c: FuzzCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunked = c.headers['Transfer-Encoding'] === 'chunked';
    const headers = chunked ? c.headers : { ...c.headers, 'Content-Length': String(c.body.length) };
    const req = request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        if (c.send === 'stall') req.destroy();
      });
      res.on('error', reject);
    });
    if (c.send === 'stall') return void req.write(c.body.subarray(0, c.body.length >> 1));
    if (c.send !== 'slow') return void req.end(c.body);
    const step = Math.ceil(c.body.length / 4);
    let at = 0;
    const next = (): void => {
      if (at >= c.body.length) return void req.end();
      req.write(c.body.subarray(at, (at += step)));
      setTimeout(next, 15);
    };
    next();
  });
}

/** Raw bytes on a fresh socket; the status line of what comes back (0 when nothing does). */
function sendRaw(port: number, bytes: string, halfClose: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0), body: got }),
    );
    socket.write(bytes, () => void (halfClose ? socket.end() : undefined));
  });
}

const RAW: [string, string, boolean, number][] = [
  [
    'truncated body',
    `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"batchId":"raw-1","logs":[`,
    true,
    400,
  ],
  [
    'truncated chunked body',
    `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"bat\r\n`,
    true,
    400,
  ],
  ['bad request line', `GARBAGE\r\n\r\n`, true, 400],
  [
    'two lengths',
    `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    true,
    400,
  ],
  ['header too large', `POST /ingest HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, true, 431],
  [
    'bad chunk size',
    `POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    true,
    400,
  ],
];

describe('ingest fuzz (seeded, repeatable)', () => {
  it(`answers ${MALFORMED} malformed requests with their 4xx and stores every valid batch exactly once`, async () => {
    const rand = seeded(SEED);
    const errors: unknown[] = [];
    const server = await serve({
      token: TOKEN,
      rateLimit: 'off',
      maxBodyBytes: MAX_BODY,
      requestTimeoutMs: STALL_TIMEOUT_MS,
      onError: (error) => void errors.push(error),
    });
    const generating = performance.now();
    const cases = generateCases(rand, MALFORMED, TOKEN);
    const generated = performance.now() - generating;
    // A few travel slowly; a few valid batches stop half-way (408 at the request timeout, never
    // stored: the copy takes no `valid`, so a batch only counts when another copy arrives).
    const plain = (c: FuzzCase): boolean =>
      c.method === 'POST' && c.headers['Transfer-Encoding'] === undefined;
    const slow = cases.filter(plain).filter(() => rand() < 0.001);
    const stalled = cases.filter((c) => c.valid && plain(c)).filter(() => rand() < 0.001);
    cases.push(...slow.map((c): FuzzCase => ({ ...c, send: 'slow' })));
    cases.push(
      ...stalled.slice(0, 4).map((c): FuzzCase => ({ ...c, valid: undefined, send: 'stall', expect: [408] })),
    );
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const started = performance.now();
    const cpu = process.cpuUsage();
    let next = 0;
    const accepted = new Map<string, FuzzCase>();
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++]!;
        let answer: Answer;
        try {
          answer = await send(agent, server.port, c);
        } catch (error) {
          failures.push(`${c.kind}: ${String(error)}`);
          continue;
        }
        const key = `${c.kind} ${answer.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (!c.expect.includes(answer.status)) {
          failures.push(
            `${c.kind}: got ${answer.status} ${answer.body.slice(0, 200)}, want ${c.expect.join('|')}`,
          );
        }
        if (answer.body.includes(TOKEN)) failures.push(`${c.kind}: the answer holds the token`);
        if (c.valid && answer.status === 200) accepted.set(c.valid.batchId, c);
      }
    };
    await Promise.all([
      ...Array.from({ length: CONCURRENCY }, worker),
      ...RAW.map(async ([kind, bytes, halfClose, status]) => {
        const answer = await sendRaw(server.port, bytes, halfClose).catch((e: unknown) => ({
          status: -1,
          body: String(e),
        }));
        if (answer.status !== status)
          failures.push(`raw ${kind}: got ${answer.status} ${answer.body.slice(0, 100)}`);
      }),
    ]);
    agent.destroy();
    const elapsed = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);

    // The server is still up, and nothing reached onError (a failed write or an internal error).
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    failures.push(...errors.map((e) => `onError: ${String(e)}`));
    const checking = performance.now();
    failures.push(...(await checkDisk(server.dataDir, accepted)));
    const checked = performance.now() - checking;

    const malformed = cases.filter((c) => !c.valid).length + RAW.length;
    console.info(
      `ingest fuzz seed ${SEED}: ${cases.length + RAW.length} requests (${malformed} malformed, ` +
        `${accepted.size} valid batches) sent in ${Math.round(elapsed)} ms (${Math.round((user + system) / 1000)} ms CPU, client and server); made in ${Math.round(generated)} ms, ` +
        `disk checked in ${Math.round(checked)} ms`,
    );
    if (failures.length)
      console.error(
        [...statuses]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join('\n'),
      );
    expect(failures.slice(0, 10), `FUZZ_SEED=${SEED}`).toEqual([]);
    expect(malformed).toBeGreaterThanOrEqual(MALFORMED);
    // Every case was sent (none skipped by an early exit).
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(cases.length);
  }, 60_000);
});

/** Every line parses; each accepted batch is on disk once, item for item; nothing else is. */
async function checkDisk(dataDir: string, accepted: Map<string, FuzzCase>): Promise<string[]> {
  const failures: string[] = [];
  const byBatch = new Map<string, Record<string, unknown>[]>();
  for (const kind of KINDS) {
    for (const [i, line] of (await lines(dataDir, kind)).entries()) {
      let item: Record<string, unknown>;
      try {
        item = JSON.parse(line) as Record<string, unknown>;
      } catch {
        failures.push(`${kind} line ${i} does not parse: ${line.slice(0, 200)}`);
        continue;
      }
      const key = `${kind} ${String(item.batch_id)}`;
      byBatch.set(key, [...(byBatch.get(key) ?? []), item]);
      if (!accepted.has(String(item.batch_id)))
        failures.push(`${kind} line ${i} of a batch never accepted: ${line.slice(0, 120)}`);
    }
  }
  for (const [batchId, c] of accepted) {
    const { items, compare } = c.valid!;
    for (const kind of KINDS) {
      const stored = byBatch.get(`${kind} ${batchId}`) ?? [];
      if (stored.length !== items[kind].length) {
        failures.push(
          `${c.kind} ${batchId}: ${stored.length} ${kind} lines stored, ${items[kind].length} sent`,
        );
      } else if (compare) {
        stored.forEach((line, i) => {
          const want = JSON.stringify(strip(items[kind][i] as Record<string, Json>, false));
          const got = JSON.stringify(strip(line, !('resource' in (items[kind][i] as object))));
          if (got !== want)
            failures.push(
              `${c.kind} ${batchId} ${kind}[${i}]: stored ${got.slice(0, 300)}, sent ${want.slice(0, 300)}`,
            );
        });
      }
    }
  }
  return failures;
}

/** An item without the server's fields (and the batch's resource, unless the item had its own). */
function strip(item: Record<string, unknown>, dropResource: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (key === 'batch_id' || key === 'session_id' || key === 'anonymous_id' || key === 'received_at')
      continue;
    if (key === 'resource' && dropResource) continue;
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
