import { resolveOptions, type TelemetryOptions } from './config.js';
import { inSample, isOptedOut, sessionId as loadSessionId, setOptedOut } from './consent.js';
import { watchLifecycle } from './lifecycle.js';
import { fallbackOutbox, memoryOutbox, type Outbox } from './outbox.js';
import { hasIndexedDb, indexedDbOutbox } from './outbox-idb.js';
import { defaultLockManager, ownerLocks } from './owner-lock.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import { exceptionInfo, pageUrl, sanitizeAttributes, sanitizeMessage } from './privacy.js';
import { hexId, type LogLevel, type LogRecord, type SpanRecord } from './records.js';
import { emptyDropped, type TelemetryStatus } from './status.js';
import { fetchTransport } from './transport.js';

/** A span you time yourself. `end()` records it once; later calls do nothing. */
export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  /** Records the span; `status` 'error' marks a failed operation (OTLP status code ERROR). */
  end(attributes?: Record<string, unknown>, status?: 'ok' | 'error'): void;
}

/** Where a span hangs in a trace: pass a parent span (or its ids) to make a child. */
export interface SpanOptions {
  parent?: { traceId: string; spanId: string };
}

/** The public client (DESIGN.md section 3). No method throws or rejects, whatever it is given. */
export interface Telemetry {
  log(level: LogLevel, message: string, context?: Record<string, unknown>): void;
  metric(name: string, value: number, labels?: Record<string, unknown>): void;
  trace(name: string, durationMs: number, attributes?: Record<string, unknown>): void;
  startSpan(name: string, attributes?: Record<string, unknown>, options?: SpanOptions): Span;
  exception(error: unknown, context?: Record<string, unknown>): void;
  flush(): Promise<void>;
  optOut(): void;
  optIn(): void;
  isEnabled(): boolean;
  status(): TelemetryStatus;
  shutdown(): Promise<void>;
}

const LEVELS: Record<string, LogLevel> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };
const NOOP_SPAN: Span = Object.freeze({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), end() {} });

function monotonic(): () => number {
  return typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();
}

/** Wraps a call so nothing it does can reach the page as an exception. */
function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Telemetry must never harm the host page (DESIGN.md section 4).
    }
  };
}

/**
 * Creates an independent client. It opens nothing (no IndexedDB, timers, listeners or network)
 * unless it is enabled: `enabled` not false, `featureFlag()` true, an `endpoint`, the user not opted
 * out, and the session in the sample.
 */
export function createTelemetry(input: TelemetryOptions = {}): Telemetry {
  const options = resolveOptions(input);
  const newId = (): string => hexId(16, options.random);
  let flagOn: boolean;
  try {
    flagOn = options.featureFlag() === true;
  } catch {
    flagOn = false;
  }
  const configured = options.enabled && flagOn && options.endpoint !== undefined;
  const session = configured ? loadSessionId(newId) : '';
  const sampled = configured && inSample(session, options.sampleRate);
  let optedOut = configured && isOptedOut();
  let pipeline: Pipeline | null = null;
  // The last pipeline after shutdown or opt-out, so status() still shows what it sent and dropped.
  let retired: Pipeline | null = null;
  let detach: () => void = () => {};
  let interval: ReturnType<typeof setInterval> | undefined;
  const clock = monotonic();

  function start(): void {
    if (pipeline || !configured || !sampled || optedOut) return;
    const outbox: Outbox =
      options.outbox ??
      (hasIndexedDb()
        ? fallbackOutbox(indexedDbOutbox(), (e) => options.onDiagnostic('IndexedDB failed; using memory', e))
        : memoryOutbox());
    const p = createPipeline({
      options,
      outbox,
      transport: options.transport ?? fetchTransport({ now: options.now }),
      resource: { app: options.app, version: options.version },
      sessionId: session,
      pageId: newId(),
      newId,
      locks: ownerLocks(options.locks === undefined ? defaultLockManager() : options.locks),
    });
    pipeline = p;
    detach = watchLifecycle({ onLeave: () => p.leave(), onReturn: () => void p.resume() });
    interval = setInterval(() => {
      if (p.hasWork()) void p.drain();
    }, options.flushIntervalMs);
    // Drain batches left by earlier page loads, after the current task so start-up stays cheap.
    setTimeout(() => void p.drain(), 0);
  }

  function stop(): void {
    retired = pipeline ?? retired;
    pipeline?.stop();
    detach();
    detach = () => {};
    clearInterval(interval);
    interval = undefined;
  }

  const url = options.captureUrl ? pageUrl : () => undefined;

  function addLog(level: LogLevel, message: string, context: unknown, extra?: Partial<LogRecord>): void {
    const record: LogRecord = {
      timestamp: options.now(),
      level,
      message,
      context: sanitizeAttributes(context),
    };
    if (extra) Object.assign(record, extra);
    const u = url();
    if (u !== undefined) record.url = u;
    pipeline!.add('logs', record);
  }

  function addSpan(
    name: unknown,
    durationMs: number,
    attributes: unknown,
    ids: Pick<SpanRecord, 'traceId' | 'spanId' | 'parentSpanId' | 'status'>,
  ): void {
    const span: SpanRecord = {
      timestamp: options.now() - durationMs,
      ...ids,
      name: sanitizeMessage(name),
      duration: durationMs,
      attributes: sanitizeAttributes(attributes),
    };
    if (ids.parentSpanId === undefined) delete span.parentSpanId;
    if (ids.status === undefined) delete span.status;
    pipeline!.add('traces', span);
  }

  start();

  return {
    log: guard((level, message, context) => {
      if (!pipeline) return;
      addLog(LEVELS[level as string] ?? 'info', sanitizeMessage(message), context);
    }),
    metric: guard((name, value, labels) => {
      if (!pipeline) return;
      if (typeof value !== 'number' || !Number.isFinite(value)) return pipeline.drop('invalid', 1);
      pipeline.add('metrics', {
        timestamp: options.now(),
        name: sanitizeMessage(name),
        value,
        labels: sanitizeAttributes(labels),
      });
    }),
    trace: guard((name, durationMs, attributes) => {
      if (!pipeline) return;
      // A span cannot have started before the epoch: such a duration is a unit mistake.
      if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs <= options.now()))
        return pipeline.drop('invalid', 1);
      addSpan(name, durationMs, attributes, { traceId: newId(), spanId: hexId(8, options.random) });
    }),
    startSpan(name, attributes, spanOptions) {
      try {
        if (!pipeline) return NOOP_SPAN;
        const parent = spanOptions?.parent;
        const validParent =
          parent && /^[0-9a-f]{32}$/.test(parent.traceId) && /^[0-9a-f]{16}$/.test(parent.spanId);
        const traceId = validParent ? parent.traceId : newId();
        const spanId = hexId(8, options.random);
        const started = clock();
        let ended = false;
        return {
          traceId,
          spanId,
          end: guard((endAttributes?: Record<string, unknown>, status?: 'ok' | 'error') => {
            if (ended || !pipeline) return;
            ended = true;
            const attrs = endAttributes ? { ...attributes, ...endAttributes } : attributes;
            addSpan(name, Math.max(0, clock() - started), attrs, {
              traceId,
              spanId,
              parentSpanId: validParent ? parent.spanId : undefined,
              status: status === 'ok' || status === 'error' ? status : undefined,
            });
          }),
        };
      } catch {
        return NOOP_SPAN;
      }
    },
    exception: guard((error, context) => {
      if (!pipeline) return;
      const info = exceptionInfo(error);
      addLog('error', info.message, context, { exception: info });
    }),
    flush() {
      try {
        return pipeline ? pipeline.drain(true).catch(() => undefined) : Promise.resolve();
      } catch {
        return Promise.resolve();
      }
    },
    optOut: guard(() => {
      optedOut = true;
      setOptedOut(true);
      const p = pipeline;
      stop();
      pipeline = null;
      if (p) void p.clear().catch(() => undefined);
    }),
    optIn: guard(() => {
      optedOut = false;
      setOptedOut(false);
      start();
    }),
    isEnabled() {
      return pipeline !== null;
    },
    status() {
      try {
        const p = pipeline ?? retired;
        if (p) return { ...p.status(), enabled: pipeline !== null };
      } catch {
        // fall through to the empty status
      }
      return {
        enabled: false,
        storage: 'none',
        buffered: 0,
        queued: 0,
        inFlight: 0,
        sent: 0,
        dropped: emptyDropped(),
        truncated: 0,
        lastError: null,
        pausedUntil: null,
      };
    },
    async shutdown() {
      try {
        const p = pipeline;
        if (p) await p.drain(true);
        stop();
        pipeline = null;
      } catch {
        // never reject
      }
    },
  };
}
