// @vitest-environment node
/** `stats` and `tail` against a real store: what they print, their flags and their usage errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/server/index.js';
import { batch, cleanup, NOW, post, serve } from './harness.js';

afterEach(cleanup);

function terminal(): CliIo & { out: string[]; err: string[]; stop(): void } {
  let stop = (): void => {};
  const io = {
    out: [] as string[],
    err: [] as string[],
    stdout: (line: string) => void io.out.push(line),
    stderr: (line: string) => void io.err.push(line),
    untilStopped: () => new Promise<void>((resolve) => (stop = resolve)),
    stop: () => stop(),
  };
  return io;
}

/** A batch with two LCP samples, an error and a drop report, at NOW. */
function richBatch(batchId: string): Record<string, unknown> {
  const error = {
    timestamp: NOW,
    level: 'error',
    message: 'boom',
    context: {},
    exception: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at f (app.js:1:2)' },
  };
  return batch(batchId, {
    metrics: [1000, 3000].map((value) => ({ timestamp: NOW, name: 'web_vital_lcp', value, labels: {} })),
    logs: [error, { timestamp: NOW, level: 'info', message: 'hi', context: {} }],
    dropped: { queue_full: 3 },
  });
}

describe('stats', () => {
  it('prints counts, vitals p75 with rating, top errors and drops; --json for scripts', async () => {
    const server = await serve();
    await post(server.url, richBatch('b1'));
    const io = terminal();
    const args = ['stats', '--data-dir', server.dataDir, '--since', '2026-03-15'];
    expect(await runCli([...args, '--json'], {}, io)).toBe(0);
    const json = JSON.parse(io.out.join('\n')) as Record<string, unknown>;
    expect(json.counts).toEqual({ logs: 2, metrics: 3, traces: 1 });
    expect(json.levels).toEqual({ debug: 0, info: 1, warn: 0, error: 1 });
    expect((json.vitals as { name: string; p75: number; rating: string }[])[0]).toMatchObject({
      name: 'LCP',
      p75: 2500,
      rating: 'good',
    });
    expect(json.errors).toMatchObject([
      { type: 'TypeError', message: 'boom', frame: 'f (app.js:1:2)', count: 1 },
    ]);
    expect(json.drops).toEqual({ queue_full: 3 });

    const text = terminal();
    expect(await runCli(args, {}, text)).toBe(0);
    const out = text.out.join('\n');
    expect(out).toMatch(/LCP\s+2,500 ms\s+good/);
    expect(out).toMatch(/1×\s+TypeError: boom/);
    expect(out).toMatch(/queue_full\s+3/);
    // Stored the day before --since: not counted.
    const empty = terminal();
    expect(await runCli([...args.slice(0, 3), '--since', '2026-03-16', '--json'], {}, empty)).toBe(0);
    expect((JSON.parse(empty.out.join('\n')) as { counts: unknown }).counts).toEqual({
      logs: 0,
      metrics: 0,
      traces: 0,
    });
  });

  it('exits 2 with a clear message for a wrong flag or value, and has --help', async () => {
    const io = terminal();
    expect(await runCli(['stats', '--bogus'], {}, io)).toBe(2);
    expect(io.err[0]).toMatch(/^pwa-telemetry stats: .*--bogus.*\(see pwa-telemetry stats --help\)$/);
    expect(await runCli(['stats', '--since', 'yesterday'], {}, io)).toBe(2);
    expect(io.err[1]).toMatch(/--since must be like 30m, 24h, 7d/);
    expect(await runCli(['stats', '--help'], {}, io)).toBe(0);
    expect(io.out[0]).toMatch(/^Usage: pwa-telemetry stats/);
  });
});

describe('tail', () => {
  it('prints only what arrives after it started, one line each, filtered by level', async () => {
    const server = await serve();
    await post(server.url, richBatch('before'));
    const io = terminal();
    const running = runCli(['tail', '--data-dir', server.dataDir, '--level', 'warn'], {}, io);
    await new Promise((r) => setTimeout(r, 300));
    await post(server.url, richBatch('after'));
    await expect.poll(() => io.out.length, { timeout: 3000 }).toBe(1);
    io.stop();
    expect(await running).toBe(0);
    expect(io.out[0]).toBe('12:00:00.000 ERROR TypeError: boom [session-]');
    // No colour codes unless the terminal takes them.
    expect(io.out[0]).not.toContain('\u001b[');
  });

  it('rejects an unknown kind or level with exit 2', async () => {
    const io = terminal();
    expect(await runCli(['tail', '--kind', 'events'], {}, io)).toBe(2);
    expect(io.err[0]).toMatch(/--kind must be one of logs, traces, metrics/);
    expect(await runCli(['tail', '--level', 'loud'], {}, io)).toBe(2);
    expect(await runCli(['tail', '--help'], {}, io)).toBe(0);
  });
});
