// @vitest-environment node
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/server/index.js';
import { runExport, type ExportOptions } from '../../src/server/export-run.js';
import { otlpEncoder } from '../../src/telemetry/encoders/otlp.js';
import type { Payload } from '../../src/telemetry/outbox.js';
import { batch, cleanup, NOW, post, serve, tempDir } from './harness.js';
import { lokiProblems } from './otlp-check.js';
import { otlpItems, startReceiver, type Receiver } from './receivers.js';

const receivers: Receiver[] = [];
afterEach(async () => {
  // Every OTLP request any test sent must have met the receiver's rules.
  expect(receivers.flatMap((r) => r.violations)).toEqual([]);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await cleanup();
});

async function receiver(options?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(options);
  receivers.push(r);
  return r;
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const stored = (item: Record<string, unknown>, i: number) =>
  JSON.stringify({
    ...item,
    session_id: `s${i % 3}`,
    batch_id: `b${i}`,
    received_at: '2026-03-15T12:00:01.000Z',
  });

/** A data dir as the store writes it: 30 + 20 logs over two days, 10 spans (one malformed), 15 points. */
async function store(): Promise<string> {
  const dir = await tempDir();
  const write = async (kind: string, day: string, items: Record<string, unknown>[], tail = '') => {
    await mkdir(join(dir, kind), { recursive: true });
    await writeFile(
      join(dir, kind, `${day}.jsonl`),
      items.map((x, i) => `${stored(x, i)}\n`).join('') + tail,
    );
  };
  const log = (i: number) => ({
    timestamp: new Date(Date.UTC(2026, 2, 14, 10, 0, i)).toISOString(),
    level: i % 10 === 0 ? 'error' : 'info',
    message: `event ${i}`,
    context: { i },
  });
  await write(
    'logs',
    '2026-03-14',
    Array.from({ length: 30 }, (_, i) => log(i)),
  );
  await write(
    'logs',
    '2026-03-15',
    Array.from({ length: 20 }, (_, i) => log(100 + i)),
    '{"torn": ',
  );
  await write(
    'traces',
    '2026-03-15',
    Array.from({ length: 10 }, (_, i) => ({
      timestamp: '2026-03-15T11:00:00.000Z',
      traceId: i === 9 ? 'not-hex' : TRACE,
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: 'load',
      duration: 12.5,
      attributes: {},
    })),
  );
  await write(
    'metrics',
    '2026-03-15',
    Array.from({ length: 15 }, (_, i) => ({
      timestamp: 1_773_572_400_000 + i,
      name: 'LCP',
      value: i * 10,
      labels: {},
    })),
  );
  return dir;
}

function io(tty = false): CliIo & { out: string[]; err: string[]; bars: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const bars: string[] = [];
  return {
    out,
    err,
    bars,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    untilStopped: () => new Promise(() => {}),
    ...(tty ? { progress: (l: string) => bars.push(l) } : {}),
  };
}

describe('pwa-telemetry export --otlp', () => {
  it('replays every kind into a collector as OTLP/HTTP JSON, in batches, with plain progress off a TTY', async () => {
    const dir = await store();
    const collector = await receiver();
    const term = io();
    const code = await runCli(
      ['export', '--otlp', collector.url, '--data-dir', dir, '--batch-size', '8'],
      {},
      term,
    );
    expect(term.err).toEqual([]);
    expect(code).toBe(0);
    const byPath = (p: string) =>
      collector.accepted.filter((r) => r.path === p).flatMap((r) => otlpItems(r.body));
    expect(byPath('/v1/logs')).toHaveLength(50);
    expect(byPath('/v1/traces')).toHaveLength(9);
    expect(byPath('/v1/metrics')).toHaveLength(15);
    expect(collector.accepted.every((r) => otlpItems(r.body).length <= 8)).toBe(true);
    const first = collector.accepted[0]!.body as { resourceLogs: { resource: { attributes: unknown[] } }[] };
    expect(first.resourceLogs[0]!.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'unknown' } },
      { key: 'service.version', value: { stringValue: 'unknown' } },
      { key: 'session.id', value: { stringValue: 's0' } },
    ]);
    expect(byPath('/v1/logs')[0]).toMatchObject({ timeUnixNano: '1773482400000000000', severityNumber: 17 });
    expect(byPath('/v1/traces')[0]).toMatchObject({ traceId: TRACE, kind: 1 });
    expect(term.out.at(-1)).toMatch(
      /^sent 74 \(logs 50, traces 9, metrics 15\) in .* events\/s; skipped 1; refused 0$/,
    );
    expect(term.bars).toEqual([]);
  });

  it('puts each line’s anonymous id in the resource as anonymous.id: the same bytes as the client encoder', async () => {
    const server = await serve();
    const sent = batch('a1', { anonymousId: 'anon_7Hq2' });
    expect((await post(server.url, sent)).status).toBe(200);
    // Another subject's batch: a resource of its own, not merged into the first one's.
    expect((await post(server.url, batch('a2', { anonymousId: 'anon_other' }))).status).toBe(200);
    await server.close();
    const collector = await receiver();
    expect(await runCli(['export', '--otlp', collector.url, '--data-dir', server.dataDir], {}, io())).toBe(0);

    const { logs, traces, metrics, resource } = sent as unknown as Payload;
    const payload: Payload = {
      logs,
      traces,
      metrics,
      resource,
      sessionId: 'session-1',
      anonymousId: 'anon_7Hq2',
    };
    const direct = otlpEncoder({ endpoint: collector.url }).encode(
      { batchId: 'a1', batch: payload },
      { sentAt: NOW },
    );
    expect(direct).toHaveLength(3);
    for (const request of direct) {
      const path = new URL(request.url).pathname;
      const exported = collector.accepted.find((r) => r.path === path)!;
      type Envelope = Record<string, { resource: unknown }[]>;
      const [first, second] = Object.values(exported.body as Envelope)[0]!;
      const [expected] = Object.values(JSON.parse(request.body) as Envelope)[0]!;
      expect(JSON.stringify(first)).toBe(JSON.stringify(expected));
      expect(exported.text).toContain('{"key":"anonymous.id","value":{"stringValue":"anon_7Hq2"}}');
      expect(JSON.stringify(second!.resource)).toContain(
        '{"key":"anonymous.id","value":{"stringValue":"anon_other"}}',
      );
    }
  });

  it('sends what the client dropped as the client encoder does: the same bytes', async () => {
    const server = await serve();
    const dropped = { queue_full: 3, max_attempts: 2 };
    const sent = batch('d1', { dropped });
    expect((await post(server.url, sent)).status).toBe(200);
    await server.close();
    const collector = await receiver();
    expect(await runCli(['export', '--otlp', collector.url, '--data-dir', server.dataDir], {}, io())).toBe(0);

    const { logs, traces, metrics, resource } = sent as unknown as Payload;
    const payload: Payload = { logs, traces, metrics, resource, sessionId: 'session-1', dropped };
    const direct = otlpEncoder({ endpoint: collector.url })
      .encode({ batchId: 'd1', batch: payload }, { sentAt: NOW })
      .find((r) => r.url.endsWith('/v1/metrics'))!;
    expect(direct.body).toContain('"name":"pwa_telemetry.dropped"');
    expect(collector.accepted.find((r) => r.path === '/v1/metrics')!.text).toBe(direct.body);
  });

  it('resumes from its checkpoint: a second run sends only what is new, nothing twice', async () => {
    const dir = await store();
    const collector = await receiver();
    const args = ['export', '--otlp', collector.url, '--data-dir', dir, '--kind', 'logs'];
    expect(await runCli(args, {}, io())).toBe(0);
    expect(collector.accepted.flatMap((r) => otlpItems(r.body))).toHaveLength(50);
    expect(await runCli(args, {}, io())).toBe(0);
    expect(collector.accepted.flatMap((r) => otlpItems(r.body))).toHaveLength(50);
    // The torn line is completed and a line appended: both are sent next time, and only they.
    await appendFile(
      join(dir, 'logs', '2026-03-15.jsonl'),
      '"x", "level": "info", "message": "torn", "context": {}}\n' +
        stored({ level: 'warn', message: 'new', context: {} }, 7) +
        '\n',
    );
    const term = io();
    expect(await runCli(args, {}, term)).toBe(0);
    const items = collector.accepted.flatMap((r) => otlpItems(r.body));
    expect(items).toHaveLength(52);
    expect(items.at(-1)).toMatchObject({ body: { stringValue: 'new' } });
    expect(await runCli([...args, '--restart'], {}, io())).toBe(0);
    expect(collector.accepted.flatMap((r) => otlpItems(r.body))).toHaveLength(104);
  });

  it('a collector that fails for a while: retried with backoff (Retry-After honoured), nothing lost or doubled', async () => {
    const dir = await store();
    const collector = await receiver({ fail: (n) => (n < 3 ? { status: 503, retryAfter: '0' } : undefined) });
    const term = io(true);
    expect(
      await runCli(['export', '--otlp', collector.url, '--data-dir', dir, '--batch-size', '20'], {}, term),
    ).toBe(0);
    expect(term.err.filter((l) => /HTTP 503.*retrying in 0 s/.test(l))).toHaveLength(3);
    expect(collector.accepted.flatMap((r) => otlpItems(r.body))).toHaveLength(74);
    // Short of 100%: the torn last line of a log file is not sent until it is complete.
    expect(term.bars.at(-2)).toMatch(/^\[#{24}\] {2}99\.9% {2}74 events .* metrics\/2026-03-15$/);
    expect(term.bars.at(-1)).toBe('');
  });

  it('a collector down for longer than the retries: stops, and the next run resumes at the failed batch', async () => {
    const dir = await store();
    let down = false;
    const collector = await receiver({ fail: () => (down ? { status: 503 } : undefined) });
    const options: ExportOptions = {
      target: 'otlp',
      url: collector.url,
      dataDir: dir,
      kinds: ['logs'],
      batchSize: 10,
      checkpointFile: join(dir, 'cp.json'),
      fallback: { app: 'quiz', version: '1' },
      post: { attempts: 2, baseMs: 1, maxMs: 2 },
      onProgress: (p) => (down = p.sent >= 20),
    };
    const first = await runExport(options);
    expect(first.incomplete).toMatch(/HTTP 503/);
    expect(first.sent.logs).toBe(20);
    down = false;
    const second = await runExport({ ...options, onProgress: undefined });
    expect(second.sent.logs).toBe(30);
    expect(second.incomplete).toBeUndefined();
    const messages = collector.accepted.flatMap((r) => otlpItems(r.body)).map((l) => l.body);
    expect(new Set(messages.map((m) => JSON.stringify(m))).size).toBe(50);
  });

  it('a refused batch (400) is counted and passed over; the exit code says so', async () => {
    const dir = await store();
    const collector = await receiver({ fail: (n) => (n === 0 ? { status: 400 } : undefined) });
    const term = io();
    expect(
      await runCli(
        ['export', '--otlp', collector.url, '--data-dir', dir, '--kind', 'logs,metrics'],
        {},
        term,
      ),
    ).toBe(1);
    expect(term.out.at(-1)).toMatch(/sent 35 .* refused 30$/);
    expect(term.err).toEqual(['refused by the receiver: HTTP 400: {"message":"unavailable"}']);
  });

  it('--from/--to pick days; usage errors exit 2', async () => {
    const dir = await store();
    const collector = await receiver();
    const args = ['export', '--otlp', collector.url, '--data-dir', dir, '--kind', 'logs'];
    expect(await runCli([...args, '--from', '2026-03-15', '--to', '2026-03-15'], {}, io())).toBe(0);
    expect(collector.accepted.flatMap((r) => otlpItems(r.body))).toHaveLength(20);
    for (const bad of [
      ['export'],
      ['export', '--otlp', 'x', '--data-dir', dir],
      ['export', '--otlp', collector.url, '--loki', collector.url],
      [...args, '--from', '2026-02-30'],
      [...args, '--kind', 'spans'],
      [...args, '--batch-size', '0'],
      [...args, '--bogus'],
    ]) {
      const term = io();
      expect(await runCli(bad, {}, term)).toBe(2);
      expect(term.err[0]).toMatch(/^pwa-telemetry export: /);
    }
    const help = io();
    expect(await runCli(['export', '--help'], {}, help)).toBe(0);
    expect(help.out[0]).toMatch(/^Usage: pwa-telemetry export/);
  });
});

describe('pwa-telemetry export --loki', () => {
  it('pushes streams labelled app, version, level, kind with nanosecond string timestamps', async () => {
    const dir = await store();
    const loki = await receiver();
    const args = ['export', '--loki', loki.url, '--data-dir', dir, '--app', 'quiz', '--app-version', '1.2.3'];
    expect(await runCli([...args, '--gzip', '--header', 'X-Scope-OrgID: tenant1'], {}, io())).toBe(0);
    expect(new Set(loki.accepted.map((r) => r.path))).toEqual(new Set(['/loki/api/v1/push']));
    expect(loki.accepted[0]!.headers).toMatchObject({
      'content-encoding': 'gzip',
      'x-scope-orgid': 'tenant1',
    });
    type Push = { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    const streams = loki.accepted.flatMap((r) => (r.body as Push).streams);
    const count = (labels: Record<string, string>) =>
      streams
        .filter((s) => Object.entries(labels).every(([k, v]) => s.stream[k] === v))
        .reduce((n, s) => n + s.values.length, 0);
    expect(count({ kind: 'logs' })).toBe(50);
    expect(count({ kind: 'logs', level: 'error' })).toBe(5);
    expect(count({ kind: 'traces' })).toBe(10);
    expect(count({ kind: 'metrics' })).toBe(15);
    expect(streams[0]!.stream).toEqual({ app: 'quiz', version: '1.2.3', level: 'error', kind: 'logs' });
    const [ns, line] = streams[0]!.values[0]!;
    expect(ns).toBe('1773482400000000000');
    expect(JSON.parse(line)).toMatchObject({ message: 'event 0', session_id: 's0', context: { i: 0 } });
    // The receiver's check would have refused a push with number labels or timestamps.
    expect(lokiProblems({ streams: [{ stream: { app: 1 }, values: [[1, 'x']] }] })).toHaveLength(2);
  });
});
