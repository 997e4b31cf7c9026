// Child process of bench/run.js (node --expose-gc): 1,000,000 log() calls while "offline" (the transport
// always answers a network error), with default options and a memory outbox. Shows that the memory
// buffer and the outbox stay bounded and that the overflow is counted. Prints JSON.
import { loadDist } from './load-dist.js';

/** @typedef {import('../src/telemetry/index.js').TelemetryStatus} TelemetryStatus */

export const MEMORY_CALLS = 1_000_000;
/** Calls between yields to the event loop in the `yielding` scenario (timers, persist and drains run). */
export const YIELD_EVERY = 1_000;

/** @type {import('../src/telemetry/index.js').SendResult} */
const OFFLINE = { outcome: 'retry', status: 0, error: 'offline', countsAsAttempt: false };

const api = await loadDist();
const gc = globalThis.gc;
if (!gc) throw new Error('run with node --expose-gc');

const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** @param {TelemetryStatus} s */
const pick = (s) => ({
  buffered: s.buffered,
  queued: s.queued,
  inFlight: s.inFlight,
  sent: s.sent,
  dropped: s.dropped,
  lastError: s.lastError,
});
/** @param {TelemetryStatus} s */
const accounted = (s) =>
  s.buffered + s.queued + s.inFlight + s.sent + Object.values(s.dropped).reduce((n, d) => n + d, 0);

/**
 * @param {'sync' | 'yielding'} mode `sync`: one synchronous loop (no timer can fire); `yielding`: a
 * macrotask turn every YIELD_EVERY calls, so persist, drains and retries run against the offline transport.
 */
async function scenario(mode) {
  let sends = 0;
  const client = api.createTelemetry({
    endpoint: 'http://127.0.0.1:9/ingest',
    // The bench counts its own calls: no session_start log beside them.
    sessionEvents: false,
    transport: {
      send: () => {
        sends++;
        return Promise.resolve(OFFLINE);
      },
    },
    outbox: api.memoryOutbox(),
  });
  await tick();
  const heapBefore = heapMb();
  let peakHeap = 0;
  const t0 = performance.now();
  for (let i = 0; i < MEMORY_CALLS; i++) {
    client.log('info', 'Quiz answered', { topic: 'Math', question: i });
    if (mode === 'yielding' && i % YIELD_EVERY === YIELD_EVERY - 1) {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed / 2 ** 20);
      await tick();
    }
  }
  const loopMs = performance.now() - t0;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed / 2 ** 20);
  const afterLoop = client.status();
  const heapAfterLoop = heapMb();
  await client.flush();
  const afterFlush = client.status();
  const heapAfterFlush = heapMb();
  await client.shutdown();
  return {
    mode,
    calls: MEMORY_CALLS,
    loopMs,
    sends,
    afterLoop: pick(afterLoop),
    afterFlush: pick(afterFlush),
    accountedAfterFlush: accounted(afterFlush),
    heapMb: {
      before: heapBefore,
      afterLoop: heapAfterLoop,
      afterFlush: heapAfterFlush,
      peakDuringLoop: peakHeap,
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof scenario>>} MemoryScenario */
/** @typedef {{ yieldEvery: number, results: MemoryScenario[] }} MemoryResults */

/** @type {MemoryResults} */
const output = { yieldEvery: YIELD_EVERY, results: [await scenario('sync'), await scenario('yielding')] };
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(0);
