// Runs inside the Chromium page of the delivery bench (served as is by bench/delivery.js, next to the
// bundled client at /telemetry.js and the bundled outbox at /outbox.js). bench/delivery.js drives it
// with page.evaluate((d) => d...) on window.delivery. Bursts and flushes start in their own setTimeout
// task, not inside the DevTools task of page.evaluate, so the long-task observer sees them.

/** @typedef {typeof import('../src/telemetry/index.js')} TelemetryModule */
/** @typedef {typeof import('./delivery-outbox.js')} OutboxModule */
/** @typedef {import('../src/telemetry/index.js').Telemetry} Telemetry */
/** @typedef {import('../src/telemetry/index.js').TelemetryOptions} TelemetryOptions */
/** @typedef {{ startTime: number, duration: number }} Task */

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Epoch ms with the page's high-resolution clock, comparable with the Node server's. */
const epoch = () => performance.timeOrigin + performance.now();

/**
 * The realistic log of bench/page.js's burst: a message and a five-key context.
 * @param {Telemetry} t
 * @param {number} from
 * @param {number} n
 * @param {number} run
 */
export function logBurst(t, from, n, run) {
  const end = from + n;
  for (let i = from; i < end; i++) {
    t.log(i % 10 === 0 ? 'warn' : 'info', 'Quiz answered', {
      topic: 'Math',
      run,
      question: i,
      correct: i % 3 !== 0,
      answerMs: 1200 + ((i * 37) % 900),
    });
  }
}

/** @param {number[]} values */
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/**
 * @param {TelemetryModule} api
 * @param {OutboxModule} ob
 */
function createDeliveryApi(api, ob) {
  /** @type {Task[]} */
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ startTime: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  /** @type {Telemetry | null} */
  let client = null;
  const state = {
    /** performance.now() at the start and end of the burst loop (or of flush()). */
    t0: NaN,
    t1: NaN,
    startEpoch: NaN,
    /** performance.now() when flush() resolved. */
    flushDone: NaN,
  };
  const need = () => {
    if (!client) throw new Error('no client: start() first');
    return client;
  };

  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,

    /**
     * Item 1: the one createTelemetry() call, timed around itself.
     * @param {string} endpoint
     */
    createTimed(endpoint) {
      const t0 = performance.now();
      client = api.createTelemetry({ endpoint });
      const ms = performance.now() - t0;
      // A second client in the same page: the same work with the code compiled and storage open.
      const t1 = performance.now();
      const second = api.createTelemetry({ endpoint });
      const warmMs = performance.now() - t1;
      void second.shutdown();
      return { ms, warmMs, enabled: client.isEnabled() };
    },

    /**
     * @param {TelemetryOptions} options
     */
    start(options) {
      // The bench counts its own events exactly: no session_start / session_end beside them (one or
      // two events in thousands; everything else is the default client).
      client = api.createTelemetry({ sessionEvents: false, ...options });
      return client.isEnabled();
    },

    /**
     * Schedules `n` log() calls in one setTimeout task, between the marks `start-<label>` (before the
     * loop) and, later, `end-<label>` (finish()).
     * @param {number} n
     * @param {string} label
     */
    scheduleBurst(n, label) {
      const t = need();
      setTimeout(() => {
        performance.mark(`start-${label}`);
        state.startEpoch = epoch();
        state.t0 = performance.now();
        logBurst(t, 0, n, 0);
        state.t1 = performance.now();
      }, 0);
    },

    /**
     * Item 6: a burst of `n` log() calls in one task, then the page is hidden and unloads in the next
     * task (the user leaves right after the burst, before the client has persisted it). Times the
     * client's `visibilitychange` and `pagehide` handlers, dispatched as the browser would.
     * @param {number} n
     * @returns {Promise<{ buffered: number, hideMs: number, pagehideMs: number }>}
     */
    hideAfterBurst(n) {
      const t = need();
      return new Promise((resolve) => {
        setTimeout(() => {
          logBurst(t, 0, n, 0);
          setTimeout(() => {
            const { buffered } = t.status();
            Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
            const t0 = performance.now();
            document.dispatchEvent(new Event('visibilitychange'));
            const hideMs = performance.now() - t0;
            const t1 = performance.now();
            window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
            resolve({ buffered, hideMs, pagehideMs: performance.now() - t1 });
          }, 0);
        }, 0);
      });
    },

    /**
     * Schedules `n` log() calls, `perTask` per setTimeout task, `gapMs` apart (a page logging steadily).
     * @param {number} n
     * @param {number} perTask
     * @param {number} gapMs
     * @param {string} label
     */
    scheduleTrickle(n, perTask, gapMs, label) {
      const t = need();
      let i = 0;
      const step = () => {
        if (i === 0) {
          performance.mark(`start-${label}`);
          state.startEpoch = epoch();
          state.t0 = performance.now();
        }
        logBurst(t, i, Math.min(perTask, n - i), 0);
        i += perTask;
        if (i < n) setTimeout(step, gapMs);
        else state.t1 = performance.now();
      };
      setTimeout(step, 0);
    },

    /**
     * Buffers `n` logs, 10,000 per task (not measured).
     * @param {number} n
     */
    async bufferQuietly(n) {
      const t = need();
      for (let i = 0; i < n; i += 10_000) {
        await sleep(0);
        logBurst(t, i, Math.min(10_000, n - i), 1);
      }
      return t.status();
    },

    /**
     * Calls flush() in its own setTimeout task after the mark `start-<label>`.
     * @param {string} label
     */
    scheduleFlush(label) {
      const t = need();
      state.flushDone = NaN;
      setTimeout(() => {
        performance.mark(`start-${label}`);
        state.startEpoch = epoch();
        state.t0 = performance.now();
        const p = t.flush();
        state.t1 = performance.now();
        void p.then(() => {
          state.flushDone = performance.now();
        });
      }, 0);
    },

    status() {
      return {
        ...need().status(),
        started: !Number.isNaN(state.t1),
        flushed: !Number.isNaN(state.flushDone),
      };
    },

    /**
     * Ends a measurement: the mark `end-<label>`, then the long tasks seen since the burst started.
     * The burst's (or flush() call's) own task is reported apart: it is the caller's loop.
     * @param {string} label
     */
    async finish(label) {
      performance.mark(`end-${label}`);
      const end = performance.now();
      // Long-task entries arrive asynchronously.
      await sleep(300);
      const { t0, t1 } = state;
      const seen = longTasks.filter((x) => x.startTime + x.duration > t0 && x.startTime < end);
      // Entries are rounded to the millisecond: the task overlapping the loop is the loop's.
      const own = seen.filter((x) => x.startTime <= t1 && x.startTime + x.duration >= t0);
      const others = seen.filter((x) => !own.includes(x));
      return {
        startEpoch: state.startEpoch,
        callMs: t1 - t0,
        flushMs: state.flushDone - t0,
        ownLongTaskMs: own.length ? Math.max(...own.map((x) => x.duration)) : 0,
        longTasks: others.length,
        longestLongTaskMs: others.length ? Math.max(...others.map((x) => x.duration)) : 0,
        status: need().status(),
      };
    },

    /** A 60 ms busy loop in a page task: the long-task observer must report it. */
    async longTaskProbe() {
      await sleep(0);
      const t0 = performance.now();
      while (performance.now() - t0 < 60) {
        // busy on purpose
      }
      await sleep(300);
      const seen = longTasks.filter((x) => x.startTime + x.duration > t0 && x.startTime < t0 + 60);
      return seen.length ? Math.max(...seen.map((x) => x.duration)) : 0;
    },

    /**
     * Item 4: one appendOp, claimOp (limit 4) and settleOp against IndexedDB outboxes holding each of
     * `sizes` entries (closed batches of `perEntry` logs, seeded `seedChunk` entries per transaction).
     * Repetitions alternate between the outboxes so both see the same machine load. Each repetition
     * appends one batch, claims the 4 oldest, settles one of them as delivered (deleted) and gives the
     * other 3 back (untimed): every outbox keeps its size.
     * @param {{ sizes: number[], perEntry: number, seedChunk: number, reps: number, warmup: number }} p
     */
    async outboxOps(p) {
      const newId = () => crypto.randomUUID().replaceAll('-', '');
      const resource = { app: 'bench', version: '0.0.0' };
      /** @param {number} now @returns {import('./delivery-outbox.js').EntryTemplate} */
      const template = (now) => ({ owner: 'seed', sessionId: 's', resource, now, newId, maxBytes: 58_000 });
      /** @param {number} n @returns {import('./delivery-outbox.js').SizedItem[]} */
      const items = (n) =>
        Array.from({ length: n }, (_, i) => {
          const item = {
            timestamp: Date.now(),
            level: /** @type {const} */ ('info'),
            message: 'Quiz answered',
            context: { topic: 'Math', run: 0, question: i, correct: i % 3 !== 0, answerMs: 1200 + i },
            url: location.origin + location.pathname,
          };
          return { kind: /** @type {const} */ ('logs'), item, bytes: JSON.stringify(item).length + 16 };
        });
      const caps = { maxEvents: 1e12, maxQueueBytes: 1e15 };
      const stores = [];
      /** @type {number[]} */
      const seedMs = [];
      for (const size of p.sizes) {
        const outbox = ob.indexedDbOutbox(`bench-outbox-${size}-${newId()}`);
        const s0 = performance.now();
        for (let done = 0; done < size;) {
          const n = Math.min(p.seedChunk, size - done);
          const planned = [];
          for (let k = 0; k < n; k++) {
            const [e] = ob.fill(null, items(p.perEntry), template(Date.now() - 3_600_000));
            if (!e) throw new Error('fill made no entry');
            e.open = false;
            planned.push(e);
          }
          await outbox.run(
            ob.appendOp({
              template: template(Date.now()),
              open: null,
              items: [],
              planned,
              seal: false,
              ...caps,
            }),
          );
          done += n;
        }
        seedMs.push(performance.now() - s0);
        stores.push({
          size,
          outbox,
          append: /** @type {number[]} */ ([]),
          claim: /** @type {number[]} */ ([]),
          settle: /** @type {number[]} */ ([]),
          queued: 0,
        });
      }
      /** @param {() => Promise<unknown>} f */
      const timed = async (f) => {
        const t0 = performance.now();
        const r = await f();
        return { ms: performance.now() - t0, r };
      };
      for (let rep = 0; rep < p.warmup + p.reps; rep++) {
        for (const s of stores) {
          const t = template(Date.now());
          const list = items(p.perEntry);
          const planned = ob.fill(null, list, t);
          const a = await timed(() =>
            s.outbox.run(ob.appendOp({ template: t, open: null, items: list, planned, seal: true, ...caps })),
          );
          const c = await timed(() =>
            s.outbox.run(
              ob.claimOp({
                owner: 'bench',
                now: Date.now(),
                leaseMs: 60_000,
                live: null,
                maxAgeMs: 7 * 86_400_000,
                limit: 4,
              }),
            ),
          );
          const claimed = /** @type {{ claimed: import('./delivery-outbox.js').OutboxEntry[] }} */ (c.r)
            .claimed;
          const [first, ...rest] = claimed;
          if (!first || rest.length !== 3) throw new Error(`claimed ${claimed.length} entries, expected 4`);
          const st = await timed(() => s.outbox.run(ob.settleOp('bench', first.key, null)));
          for (const e of rest)
            await s.outbox.run(ob.settleOp('bench', e.key, { attempts: 0, nextAttemptAt: 0 }));
          s.queued = /** @type {number} */ (st.r);
          if (rep < p.warmup) continue;
          s.append.push(a.ms);
          s.claim.push(c.ms);
          s.settle.push(st.ms);
        }
      }
      return stores.map((s, i) => ({
        size: s.size,
        seedMs: seedMs[i] ?? NaN,
        queuedEvents: s.queued,
        append: { median: median(s.append), min: Math.min(...s.append), max: Math.max(...s.append) },
        claim: { median: median(s.claim), min: Math.min(...s.claim), max: Math.max(...s.claim) },
        settle: { median: median(s.settle), min: Math.min(...s.settle), max: Math.max(...s.settle) },
        runs: { append: s.append, claim: s.claim, settle: s.settle },
      }));
    },
  };
}

/** @typedef {ReturnType<typeof createDeliveryApi>} DeliveryApi */

/**
 * @param {TelemetryModule} api
 * @param {OutboxModule} outbox
 */
export function setup(api, outbox) {
  /** @type {Window & { delivery?: DeliveryApi }} */ (window).delivery = createDeliveryApi(api, outbox);
}
