// @vitest-environment node
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startForwarder, type Forwarder } from '../../src/server/forward-otlp.js';
import { parseServeArgs } from '../../src/server/options.js';
import type { ValidBody } from '../../src/server/validate.js';
import { otlpEncoder } from '../../src/telemetry/encoders/otlp.js';
import type { Payload } from '../../src/telemetry/outbox.js';
import { batch, cleanup, NOW, post, serve, tempDir } from './harness.js';
import { otlpItems, startReceiver, type Receiver } from './receivers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await cleanup();
});
async function receiver(options?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(options);
  closers.push(async () => {
    // Every OTLP request must have met the receiver's rules.
    expect(r.violations).toEqual([]);
    await r.close();
  });
  return r;
}
async function forwarder(options: Parameters<typeof startForwarder>[0]): Promise<Forwarder> {
  const f = await startForwarder(options);
  closers.push(() => f.close());
  return f;
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const items = (r: Receiver, path?: string) =>
  r.accepted.filter((x) => !path || x.path === path).flatMap((x) => otlpItems(x.body));

/** A port where nothing listens. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

function body(id: string, logs = 1): ValidBody {
  const b = batch(id) as unknown as ValidBody;
  return { ...b, logs: Array.from({ length: logs }, (_, i) => ({ ...b.logs[0]!, message: `${id}/${i}` })) };
}

/** A native request body as the client's outbox held it: what its own OTLP encoder is given. */
function asStored(body: Record<string, unknown>): Payload {
  const { batchId: _id, sentAt: _at, session, ...rest } = body;
  return { ...rest, sessionId: (session as { id: string }).id } as unknown as Payload;
}
describe('serve --forward-otlp', () => {
  it('parses the flag and the variable; a non-URL is a usage error', () => {
    expect(parseServeArgs(['--forward-otlp', 'http://c:4318'], {}).forwardOtlp).toBe('http://c:4318');
    expect(parseServeArgs([], { TELEMETRY_FORWARD_OTLP: 'https://c' }).forwardOtlp).toBe('https://c');
    expect(() => parseServeArgs(['--forward-otlp', 'c:4318'], {})).toThrow(/--forward-otlp must be an http/);
  });

  it('forwards every accepted batch as OTLP with its resource and session; duplicates are not forwarded', async () => {
    const collector = await receiver();
    const server = await serve({ forwardOtlp: collector.url });
    for (const id of ['b1', 'b2', 'b1']) expect((await post(server.url, batch(id))).status).toBe(200);
    await until(() => items(collector).length === 6);
    await new Promise((r) => setTimeout(r, 100));
    expect(items(collector, '/v1/logs')).toHaveLength(2);
    expect(items(collector, '/v1/traces')).toHaveLength(2);
    expect(items(collector, '/v1/metrics')).toHaveLength(2);
    const logs = collector.accepted.find((r) => r.path === '/v1/logs')!.body as {
      resourceLogs: { resource: { attributes: unknown[] } }[];
    };
    expect(logs.resourceLogs[0]!.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'quiz' } },
      { key: 'service.version', value: { stringValue: '1.0.0' } },
      { key: 'session.id', value: { stringValue: 'session-1' } },
    ]);
  });

  it('puts the anonymous id in the OTLP resource as anonymous.id: the same bytes as the client encoder', async () => {
    const collector = await receiver();
    const server = await serve({ forwardOtlp: collector.url });
    expect((await post(server.url, batch('a1', { anonymousId: 'anon_7Hq2' }))).status).toBe(200);
    await until(() => items(collector).length === 3);
    // What the client's own OTLP encoder sends for the same batch, straight to a collector.
    const payload = asStored(batch('a1', { anonymousId: 'anon_7Hq2' }));
    const direct = otlpEncoder({ endpoint: collector.url }).encode(
      { batchId: 'a1', batch: payload },
      { sentAt: NOW },
    );
    expect(direct).toHaveLength(3);
    for (const request of direct) {
      const path = new URL(request.url).pathname;
      const forwarded = collector.accepted.find((r) => r.path === path)!;
      expect(forwarded.text).toContain('{"key":"anonymous.id","value":{"stringValue":"anon_7Hq2"}}');
      expect(forwarded.text).toBe(request.body);
    }
  });

  it('forwards what the client dropped as the client encoder sends it: the same bytes', async () => {
    const collector = await receiver();
    const server = await serve({ forwardOtlp: collector.url });
    const dropped = { queue_full: 3, max_attempts: 2 };
    expect((await post(server.url, batch('d1', { dropped }))).status).toBe(200);
    await until(() => items(collector, '/v1/metrics').length === 3);
    const payload = asStored(batch('d1', { dropped }));
    const direct = otlpEncoder({ endpoint: collector.url })
      .encode({ batchId: 'd1', batch: payload }, { sentAt: NOW })
      .find((r) => r.url.endsWith('/v1/metrics'))!;
    expect(direct.body).toContain('"name":"pwa_telemetry.dropped"');
    expect(collector.accepted.find((r) => r.path === '/v1/metrics')!.text).toBe(direct.body);
  });

  it('an OTLP request forwarded keeps its own resource, session.id and anonymous.id', async () => {
    const collector = await receiver();
    const server = await serve({ forwardOtlp: collector.url });
    const resource = {
      attributes: [
        { key: 'service.name', value: { stringValue: 'shop' } },
        { key: 'session.id', value: { stringValue: 'otlp-session' } },
        { key: 'anonymous.id', value: { stringValue: 'otlp-anon' } },
      ],
    };
    const logs = {
      resourceLogs: [{ resource, scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' } }] }] }],
    };
    expect((await post(server.url, logs, { path: '/v1/logs' })).status).toBe(200);
    await until(() => items(collector).length === 1);
    const attributes = (collector.accepted[0]!.body as { resourceLogs: { resource: typeof resource }[] })
      .resourceLogs[0]!.resource.attributes;
    expect(attributes).toEqual(expect.arrayContaining(resource.attributes));
  });

  it('a collector that does not answer does not slow ingestion, and what it missed arrives later', async () => {
    let hang = true;
    const hung: (() => void)[] = [];
    const collector = await receiver();
    // A proxy that holds requests unanswered while `hang`, then lets them through to the collector.
    const proxy = createServer((req, res) => {
      if (hang) return void hung.push(() => res.destroy());
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fetch(`${collector.url}${req.url}`, {
          method: 'POST',
          body: Buffer.concat(chunks),
          headers: { 'Content-Type': 'application/json' },
        }).then((r) => res.writeHead(r.status).end());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise((r) => {
          hung.forEach((h) => h());
          proxy.closeAllConnections();
          proxy.close(() => r());
        }),
    );
    const server = await serve({
      forwardOtlp: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      rateLimit: { requests: 1000, perMs: 1000 },
    });
    const started = Date.now();
    for (let i = 0; i < 50; i++) expect((await post(server.url, batch(`h${i}`))).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hung.length).toBeGreaterThan(0);
    hang = false;
    hung.splice(0).forEach((h) => h());
    await until(() => items(collector, '/v1/logs').length === 50, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(items(collector, '/v1/logs')).toHaveLength(50);
  }, 15_000);

  it('survives a restart: batches spooled while the collector was down are sent by the next server', async () => {
    const dataDir = await tempDir();
    const first = await serve({ dataDir, forwardOtlp: await deadUrl() });
    for (const id of ['r1', 'r2', 'r3']) expect((await post(first.url, batch(id))).status).toBe(200);
    await first.close();
    expect((await readdir(join(dataDir, '.forward-spool'))).filter((n) => n.endsWith('.json'))).toHaveLength(
      3,
    );
    const collector = await receiver();
    await serve({ dataDir, forwardOtlp: collector.url });
    await until(() => items(collector).length === 9);
    await until(async () => (await readdir(join(dataDir, '.forward-spool'))).length === 0);
  });
});

describe('forwarder', () => {
  it('a collector failing for a while: retried with backoff, each item delivered exactly once', async () => {
    let failing = true;
    const collector = await receiver({
      fail: (_, path) =>
        failing || (path === '/v1/traces' && collectorSeenTraces++ < 1) ? { status: 503 } : undefined,
    });
    let collectorSeenTraces = 0;
    const lines: string[] = [];
    const f = await forwarder({
      url: collector.url,
      dir: join(await tempDir(), 'spool'),
      baseMs: 20,
      maxMs: 50,
      log: (l) => lines.push(l),
    });
    for (let i = 0; i < 5; i++) f.add(body(`f${i}`, 3));
    await until(() => collector.seen >= 3);
    expect(items(collector)).toHaveLength(0);
    failing = false;
    await until(() => f.stats().queued === 0);
    // Logs went through on the round where traces failed once: they are not sent again.
    expect(items(collector, '/v1/logs')).toHaveLength(15);
    expect(items(collector, '/v1/traces')).toHaveLength(5);
    expect(items(collector, '/v1/metrics')).toHaveLength(5);
    expect(f.stats()).toMatchObject({ forwarded: 25, refused: 0, dropped: 0 });
    expect(lines[0]).toMatch(/^forward: .* failing \(HTTP 503.*\); spooling and retrying$/);
    expect(lines).toContain(`forward: ${collector.url} accepting again`);
  });

  it('bounded: over maxBytes the oldest batches are dropped, counted and logged; the rest arrive', async () => {
    const url = await deadUrl();
    const dir = join(await tempDir(), 'spool');
    const lines: string[] = [];
    const f = await startForwarder({ url, dir, maxBytes: 6_000, baseMs: 10_000, log: (l) => lines.push(l) });
    for (let i = 0; i < 20; i++) f.add(body(`d${i}`, 1));
    await f.close();
    const stats = f.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    // The first drop at once, the rest summed up (here at close, before the 10 s tick).
    const logged = lines.filter((l) => l.startsWith('forward: spool full'));
    expect(logged).toHaveLength(2);
    const counted = logged.map((l) => Number(/dropped (\d+) events/.exec(l)![1]));
    expect(counted.reduce((a, b) => a + b)).toBe(stats.dropped);
    expect(logged[1]).toMatch(new RegExp(`\\(${stats.dropped} in all\\)$`));
    expect(stats.queuedBytes).toBeLessThanOrEqual(6_000);
    expect(stats.queued + stats.dropped).toBe(60);
    const collector = await receiver();
    const logs: string[] = [];
    const again = await forwarder({ url: collector.url, dir, log: (l) => logs.push(l) });
    await until(() => again.stats().queued === 0);
    const messages = items(collector, '/v1/logs').map((l) => (l.body as { stringValue: string }).stringValue);
    // The newest survive.
    expect(messages.at(-1)).toBe('d19/0');
    expect(messages).not.toContain('d0/0');
  });

  it('refused batches (400) are dropped and counted, not retried forever', async () => {
    const collector = await receiver({
      fail: (_, path) => (path === '/v1/metrics' ? { status: 400 } : undefined),
    });
    const logs: string[] = [];
    const f = await forwarder({
      url: collector.url,
      dir: join(await tempDir(), 'spool'),
      log: (l) => logs.push(l),
    });
    f.add(body('x', 2));
    await until(() => f.stats().queued === 0);
    expect(f.stats()).toMatchObject({ forwarded: 3, refused: 1 });
    expect(logs).toEqual([expect.stringMatching(/refused 1 metrics: HTTP 400/)]);
  });
});
