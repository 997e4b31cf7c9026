// @vitest-environment node
// The CI smoke of the peers bench (the full one, `npm run bench:peers`, runs by hand): `node
// bench/peers.js --quick` in its own process, with Chromium and the built lib (`npm test` builds it
// first), must give every figure for every library. Each number is checked to be a real measurement:
// sizes and times above zero, logs that reached the collector.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PeersResults } from '../../bench/peers.js';
import { figures } from '../../bench/peers/report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('peers bench, --quick', () => {
  it('measures every library: size, set-up, calls/s, delivery, main thread, bytes per log', async () => {
    const { stdout } = await run(process.execPath, ['bench/peers.js', '--quick'], {
      cwd: root,
      maxBuffer: 64 * 2 ** 20,
      timeout: 150_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as PeersResults;
    expect(r.quick).toBe(true);
    expect(r.libraries.map((l) => l.id)).toEqual(['ours', 'faro', 'otel', 'sentry', 'posthog']);
    for (const l of r.libraries) {
      const f = figures(l);
      const numbers = {
        gzip: l.size.gzip,
        min: l.size.min,
        init: f.init.median,
        syncRate: f.syncRate.median,
        yieldRate: f.yieldRate.median,
        mainThread: f.mainThread.median,
        burstTask: f.burstTask.median,
        bytesPerEvent: f.bytesPerEvent.median,
      };
      for (const [name, value] of Object.entries(numbers)) {
        expect(Number.isFinite(value) && value > 0, `${l.id} ${name} = ${value}`).toBe(true);
      }
      expect(Number.isFinite(f.longestOther.median), `${l.id} longest other task`).toBe(true);
      // Every library delivers at least part of each burst, and a log, a metric and a span.
      for (const m of [...l.burst, ...l.bigBurst, ...l.yielding])
        expect(m.delivered, `${l.id} ${m.run}`).toBeGreaterThan(0);
      expect({ id: l.id, log: l.kinds.log, metric: l.kinds.metric, span: l.kinds.span }).toEqual({
        id: l.id,
        log: true,
        metric: true,
        span: true,
      });
      expect(l.kinds.errors).toEqual([]);
    }
    // Ours delivers every log of the smoke's bursts, each once.
    const ours = r.libraries.find((l) => l.id === 'ours');
    for (const m of [...(ours?.burst ?? []), ...(ours?.bigBurst ?? []), ...(ours?.yielding ?? [])]) {
      expect({ run: m.run, delivered: m.delivered, duplicates: m.duplicates }).toEqual({
        run: m.run,
        delivered: m.events,
        duplicates: 0,
      });
    }
    expect(r.unknownRequests).toEqual([]);
  }, 180_000);
});
