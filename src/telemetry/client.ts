import { resolveOptions, type TelemetryOptions } from './config.js';
import { inSample, isOptedOut, sessionId, setOptedOut } from './consent.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import { exceptionInfo, pageUrl, sanitizeAttributes, sanitizeMessage } from './privacy.js';
import { hexId, type ExceptionInfo, type LogLevel, type SpanRecord } from './records.js';
import { emptyStatus, type TelemetryStatus } from './status.js';

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

const LEVELS: unknown[] = ['debug', 'info', 'warn', 'error'];
const NOOP_SPAN: Span = Object.freeze({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), end() {} });
// Spans are timed on the monotonic clock where there is one.
const clock = (): number => globalThis.performance?.now() ?? Date.now();

/** Wraps a call so nothing it does can reach the page as an exception (DESIGN.md section 4). */
function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Telemetry must never harm the host page.
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
  const { now, random } = options;
  const newId = (): string => hexId(16, random);
  const url = options.captureUrl ? pageUrl : () => undefined;
  let flagOn = false;
  try {
    flagOn = options.featureFlag() === true;
  } catch {
    // a flag that throws is off
  }
  const configured = options.enabled && flagOn && options.endpoint !== undefined;
  // Storage is read after start-up, not on the caller's task (localStorage and sessionStorage can
  // cost a synchronous IPC in Chromium): until then events wait in memory, and nothing is stored or
  // sent before the user's choice and the sampling decision are known (`decide`).
  let decided = !configured;
  let session = '';
  let sampled = false;
  let optedOut = false;
  let pipeline: Pipeline | null = null;
  let optingIn = false;
  // The current pipeline, or the last one after shutdown or opt-out, so status() still shows what it
  // sent and dropped.
  let last: Pipeline | null = null;

  /** Reads the session, the sample and the stored opt-out once; stops a pipeline that may not run. */
  function decide(): boolean {
    if (!decided) {
      decided = true;
      session = sessionId(newId);
      sampled = inSample(session, options.sampleRate);
      optedOut = isOptedOut();
      if (!sampled || optedOut) {
        // An opted-out user's early events are dropped and counted; an unsampled session's are not data.
        if (optedOut) pipeline?.drop('opted_out', pipeline.status().buffered);
        stop();
      }
    }
    return pipeline !== null;
  }

  function start(): void {
    if (!pipeline && configured && (!decided || (sampled && !optedOut)))
      last = pipeline = createPipeline(options, () => session, {
        ready: decide,
        optIn: optingIn,
        onOptedOut: () => {
          optedOut = true;
          pipeline = null;
        },
      });
    optingIn = false;
  }

  const stop = guard(() => {
    pipeline?.stop();
    pipeline = null;
  });

  function addLog(
    p: Pipeline,
    level: LogLevel,
    message: string,
    context: unknown,
    exception?: ExceptionInfo,
  ): void {
    p.add('logs', {
      timestamp: now(),
      level,
      message,
      context: sanitizeAttributes(context),
      // JSON leaves out keys whose value is undefined.
      exception,
      url: url(),
    });
  }

  function addSpan(
    p: Pipeline,
    name: unknown,
    duration: number,
    attributes: unknown,
    ids: Pick<SpanRecord, 'traceId' | 'spanId' | 'parentSpanId' | 'status'>,
  ): void {
    p.add('traces', {
      timestamp: now() - duration,
      ...ids,
      name: sanitizeMessage(name),
      duration,
      attributes: sanitizeAttributes(attributes),
    });
  }

  /** flush() and shutdown(): send what is held now. Never rejects. */
  async function flush(): Promise<void> {
    try {
      await pipeline?.drain(true);
    } catch {
      // never rejects
    }
  }

  // A sampled-out session must open nothing at all, so sampling (which needs the session id) is decided
  // now; at the default rate of 1 there is nothing to decide until after start-up.
  if (options.sampleRate < 1) decide();
  start();

  return {
    log: guard((level, message, context) => {
      if (pipeline)
        addLog(pipeline, LEVELS.includes(level) ? level : 'info', sanitizeMessage(message), context);
    }),
    metric: guard((name, value, labels) => {
      if (!pipeline) return;
      if (typeof value !== 'number' || !Number.isFinite(value)) return pipeline.drop('invalid', 1);
      pipeline.add('metrics', {
        timestamp: now(),
        name: sanitizeMessage(name),
        value,
        labels: sanitizeAttributes(labels),
      });
    }),
    trace: guard((name, durationMs, attributes) => {
      if (!pipeline) return;
      // A span cannot have started before the epoch: such a duration is a unit mistake.
      if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs <= now()))
        return pipeline.drop('invalid', 1);
      addSpan(pipeline, name, durationMs, attributes, { traceId: newId(), spanId: hexId(8, random) });
    }),
    startSpan(name, attributes, spanOptions) {
      try {
        if (!pipeline) return NOOP_SPAN;
        const parent = spanOptions?.parent;
        const validParent =
          parent && /^[0-9a-f]{32}$/.test(parent.traceId) && /^[0-9a-f]{16}$/.test(parent.spanId);
        const traceId = validParent ? parent.traceId : newId();
        const spanId = hexId(8, random);
        const started = clock();
        let ended = false;
        return {
          traceId,
          spanId,
          end: guard((endAttributes?: Record<string, unknown>, status?: 'ok' | 'error') => {
            if (ended || !pipeline) return;
            ended = true;
            const attrs = endAttributes ? { ...attributes, ...endAttributes } : attributes;
            addSpan(pipeline, name, Math.max(0, clock() - started), attrs, {
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
      addLog(pipeline, 'error', info.message, context, info);
    }),
    flush,
    optOut: guard(() => {
      decide();
      optedOut = true;
      setOptedOut(true);
      const p = pipeline;
      stop();
      void p?.clear();
    }),
    optIn: guard(() => {
      decide();
      optedOut = false;
      optingIn = true;
      setOptedOut(false);
      start();
    }),
    isEnabled: () => {
      try {
        return decide();
      } catch {
        return false;
      }
    },
    status(): TelemetryStatus {
      try {
        decide();
        if (last) return last.status();
      } catch {
        // fall through to the empty status
      }
      return emptyStatus();
    },
    shutdown: () => flush().then(stop),
  };
}
