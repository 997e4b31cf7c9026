import { anonymousIds, clearAnonymousId } from './anonymous-id.js';
import type { FlushOptions, Span, Telemetry } from './api.js';
import { level as validLevel, resolveOptions, safeOptions, type TelemetryOptions } from './config.js';
import { globalPrivacyControl, inSample, storeConsent, storedConsent, type ConsentState } from './consent.js';
import { toNativeBody } from './encoders/native.js';
import { collects, LEVELS } from './levels.js';
import { watchLifecycle } from './lifecycle.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import { applyBeforeSend, createScrubber, defaultScrubber } from './privacy.js';
import {
  hexId,
  type Attributes,
  type ExceptionInfo,
  type Kind,
  type LogLevel,
  type SpanRecord,
} from './records.js';
import { createSessions, type Sessions } from './session.js';
import { emptyStatus, type TelemetryStatus } from './status.js';

export type { FlushOptions, Span, SpanOptions, Telemetry } from './api.js';

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
export function createTelemetry(given: TelemetryOptions = {}): Telemetry {
  // A plain copy, read once: options that throw when read must not make the factory throw.
  const options = resolveOptions(safeOptions(given));
  const { now, random } = options;
  const newId = (): string => hexId(16, random);
  // The default scrubber is built once per page; only custom patterns or keys need one of their own.
  const privacy =
    options.scrubPatterns.length || options.allowKeys.length ? createScrubber(options) : defaultScrubber;
  const { sanitizeAttributes, sanitizeMessage, exceptionInfo } = privacy;
  const url = options.captureUrl ? privacy.pageUrl : () => undefined;
  let level = options.level;
  // Event ids: a random tag for this page and a sequence, unique within the session at a few bytes.
  // Made on first use, like the session tracker and the anonymous id below, not on the caller's task:
  // each costs a first-call compile (and crypto's first use) that start-up does not need (bench:delivery).
  let tag = '';
  let seq = 0;
  // 64 random bits: unique enough for a day's users, and 16 bytes less on every batch than a trace id.
  let anonymous: ((t: number) => string) | undefined;
  const anonymousId = (t: number): string => (anonymous ??= anonymousIds(() => hexId(8, random)))(t);
  const sessionEvent = (timestamp: number, message: string, context: Attributes): void => {
    const p = options.sessionEvents && sink();
    if (p) put(p, 'logs', { timestamp, level: 'info', message, context }, true);
  };
  let tracker: Sessions | undefined;
  const sessions = (): Sessions =>
    (tracker ??= createSessions(newId, options.sessionTimeoutMs, {
      // Stamped when the session started (its first event) and ended (its last event, or the close).
      onStart: (s) => sessionEvent(s.start, 'session_start', {}),
      onEnd: (s, reason) => {
        sessionEvent(s.last, 'session_end', { reason, duration_ms: s.last - s.start, page_views: s.views });
        // Written now, under the ending session's id: the next event belongs to a new session.
        if (reason === 'timeout') pipeline?.seal();
      },
    }));
  let hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  // Early events recorded before the session was read: they touch it when the pipeline starts.
  let untouched = 0;
  const touch = (item: { timestamp: number; message?: string }): unknown =>
    sessions().touch(item.timestamp, item.message === 'page_view');

  /**
   * Adds a finished record, after the level check and the app's `beforeSend` hook, which may edit or
   * drop it (counted). Each record first keeps its session alive, or ends an idle one and starts the
   * next (`internal`: the session's own events).
   */
  function put(p: Sink, kind: Kind, item: Parameters<Pipeline['add']>[1], internal = false): void {
    if (!collects(level, kind, item)) return;
    if (!internal && decided) touch(item);
    else if (!internal) untouched++;
    item.eventId = `${(tag ||= hexId(4, random))}.${(++seq).toString(36)}`;
    const hook = options.beforeSend;
    if (!hook) return p.add(kind, item);
    // The hook returns what it likes; applyBeforeSend checks the shape and scrubs it again.
    const kept = applyBeforeSend(item, (r) => hook(r, kind) as typeof r | null | false | undefined, privacy);
    if (typeof kept === 'string') p.drop(kept, 1);
    else p.add(kind, kept);
  }
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
  let sampled = options.sampleRate >= 1;
  let consent: ConsentState = 'unknown';
  let pipeline: Pipeline | null = null;
  let optingIn = false;
  // The current pipeline, or the last one after shutdown or opt-out, so status() still shows what it
  // sent and dropped.
  let last: Pipeline | null = null;
  /** Recording is allowed: the user agreed, or was not asked and consent is not required. */
  const allowed = (): boolean =>
    consent === 'granted' || (consent === 'unknown' && options.consent === 'granted');

  /**
   * Reads the session, the sample and the stored choice once; drops the early events if nothing may
   * be recorded. There is no pipeline yet to stop: start() makes it only after deciding.
   */
  function decide(): boolean {
    if (!decided) {
      decided = true;
      sampled = inSample(sessions().load(now()), options.sampleRate);
      consent = storedConsent();
      // Global Privacy Control is the user's "no" sent by the browser: it counts until they opt in here.
      if (consent === 'unknown' && options.respectGpc && globalPrivacyControl()) consent = 'denied';
      if (!sampled || !allowed()) {
        // An opted-out user's early events are dropped and counted; an unsampled session's are not data.
        if (consent === 'denied') deniedEarly += early?.length ?? 0;
        early = null;
      }
    }
    return pipeline !== null;
  }

  // The pipeline (outbox, sender, listeners, timers) is made in the task after createTelemetry(), or
  // at the first call that needs it, so the app's start-up task pays only for the options. Until then
  // events wait here, capped like the buffer.
  type Sink = Pick<Pipeline, 'add' | 'drop'>;
  let early: Parameters<Pipeline['add']>[] | null = null;
  let earlyDrops: Parameters<Pipeline['drop']>[] = [];
  const earlySink: Sink = {
    add: (...event) =>
      void (early!.length < options.maxQueuedEvents
        ? early!.push(event)
        : earlyDrops.push(['queue_full', 1])),
    drop: (...drop) => void earlyDrops.push(drop),
  };
  /** Where recording calls go: the pipeline, the early buffer before start-up, or nowhere. */
  const sink = (): Sink | null => pipeline ?? (early ? earlySink : null);
  let startTimer: ReturnType<typeof setTimeout> | undefined;
  // Until start-up, a hide or a page leaving starts the pipeline at once and sends what waits here.
  let unwatchEarly = (): void => {};
  // Events dropped before start-up because the stored choice said no.
  let deniedEarly = 0;

  // After shutdown() nothing starts again: status() keeps showing the last pipeline's counts.
  let closed = false;

  function start(): void {
    clearTimeout(startTimer);
    unwatchEarly();
    if (closed) return void (early = null);
    if (configured) decide();
    const events = early;
    early = null;
    // Configured, it has decided by now.
    if (!pipeline && configured && sampled && allowed())
      last = pipeline = createPipeline(options, () => sessions().id(), {
        ready: decide,
        optIn: optingIn,
        anonymousId: () => anonymousId(now()),
        onOptedOut: () => {
          consent = 'denied';
          pipeline = null;
        },
        onLeave: (closing) => {
          clearTimeout(hiddenTimer);
          if (closing) return sessions().end('close', now());
          sessions().save();
          // Hidden for the whole timeout: the visit is over (timers of hidden pages run at least
          // once a minute in Chromium, so this fires on time or soon after).
          hiddenTimer = setTimeout(() => sessions().end('timeout'), options.sessionTimeoutMs);
        },
        onReturn: () => clearTimeout(hiddenTimer),
      });
    // Early events keep their session alive (or start it) in order, before they are added.
    for (const [i, event] of ((pipeline && events) || []).entries()) {
      if (i < untouched) touch(event[1]);
      pipeline!.add(...event);
    }
    untouched = 0;
    for (const drop of (pipeline && earlyDrops) || []) pipeline!.drop(...drop);
    earlyDrops = [];
    optingIn = false;
  }

  /** Makes the pipeline now if it may run; true when it runs. */
  function ready(): boolean {
    decide();
    start();
    return pipeline !== null;
  }

  const stop = guard(() => {
    clearTimeout(hiddenTimer);
    pipeline?.stop();
    pipeline = null;
  });

  function addLog(
    p: Sink,
    level: LogLevel,
    message: string,
    context: unknown,
    exception?: ExceptionInfo,
  ): void {
    put(p, 'logs', {
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
    p: Sink,
    name: unknown,
    duration: number,
    attributes: unknown,
    ids: Pick<SpanRecord, 'traceId' | 'spanId' | 'parentSpanId' | 'status'>,
  ): void {
    put(p, 'traces', {
      timestamp: now() - duration,
      ...ids,
      name: sanitizeMessage(name),
      duration,
      attributes: sanitizeAttributes(attributes),
    });
  }

  /** flush() and shutdown(): send what is held now; by `timeoutMs` at the latest. Never rejects. */
  async function flush(flushOptions?: FlushOptions): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const done = ready() ? pipeline?.drain(true) : undefined;
      const ms = flushOptions?.timeoutMs;
      await (typeof ms === 'number' && ms >= 0
        ? Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
        : done);
    } catch {
      // never rejects
    } finally {
      clearTimeout(timer);
    }
  }

  // A sampled-out session must open nothing at all, and with consent required nothing may be buffered
  // before the stored choice is known: both are decided now. By default there is nothing to decide
  // until after start-up.
  if (configured && (options.sampleRate < 1 || options.consent === 'required')) {
    decide();
    start();
  } else if (configured) {
    early = [];
    startTimer = setTimeout(start, 0);
    unwatchEarly = watchLifecycle(() => {
      start();
      pipeline?.leave();
    }, start);
  }

  return {
    log: guard((level, message, context) => {
      const p = sink();
      if (p) addLog(p, LEVELS.includes(level) ? level : 'info', sanitizeMessage(message), context);
    }),
    metric: guard((name, value, labels) => {
      const p = sink();
      if (!p) return;
      if (typeof value !== 'number' || !Number.isFinite(value)) return p.drop('invalid', 1);
      put(p, 'metrics', {
        timestamp: now(),
        name: sanitizeMessage(name),
        value,
        labels: sanitizeAttributes(labels),
      });
    }),
    trace: guard((name, durationMs, attributes) => {
      const p = sink();
      if (!p) return;
      // A span cannot have started before the epoch: such a duration is a unit mistake.
      if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs <= now()))
        return p.drop('invalid', 1);
      addSpan(p, name, durationMs, attributes, { traceId: newId(), spanId: hexId(8, random) });
    }),
    startSpan(name, attributes, spanOptions) {
      try {
        if (!sink()) return NOOP_SPAN;
        const parent = spanOptions?.parent;
        const validParent =
          parent && /^[\da-f]{32}$/.test(parent.traceId) && /^[\da-f]{16}$/.test(parent.spanId);
        const traceId = validParent ? parent.traceId : newId();
        const spanId = hexId(8, random);
        const started = clock();
        let ended = false;
        return {
          traceId,
          spanId,
          end: guard((endAttributes?: Record<string, unknown>, status?: 'ok' | 'error') => {
            const p = sink();
            if (ended || !p) return;
            ended = true;
            const attrs = endAttributes ? { ...attributes, ...endAttributes } : attributes;
            addSpan(p, name, Math.max(0, clock() - started), attrs, {
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
      const p = sink();
      if (!p) return;
      const info = exceptionInfo(error);
      addLog(p, 'error', info.message, context, info);
    }),
    flush,
    optOut: guard(() => {
      ready();
      consent = 'denied';
      storeConsent('denied');
      clearAnonymousId();
      const p = pipeline;
      stop();
      void p?.clear();
    }),
    optIn: guard(() => {
      decide();
      consent = 'granted';
      optingIn = true;
      storeConsent('granted');
      start();
    }),
    consentState: () => {
      try {
        decide();
      } catch {
        // the state known so far
      }
      return consent;
    },
    isEnabled: () => {
      try {
        return ready();
      } catch {
        return false;
      }
    },
    isConfigured: () => configured && sampled,
    getSessionId: () => {
      try {
        decide();
      } catch {
        // no session yet
      }
      return sessions().id();
    },
    getAnonymousId: () => {
      try {
        return ready() ? anonymousId(now()) : '';
      } catch {
        return '';
      }
    },
    setLevel: (next) => void (level = validLevel(next) ?? level),
    exportQueued: async () => {
      try {
        const list = ready() ? await pipeline!.exportQueued() : [];
        const sentAt = now();
        return JSON.stringify(list.map((entry) => toNativeBody(entry, { sentAt })));
      } catch {
        return '[]';
      }
    },
    clearQueued: async () => {
      try {
        if (ready()) await pipeline!.clearQueued();
      } catch {
        // never rejects
      }
    },
    status(): TelemetryStatus {
      try {
        ready();
        if (last) return last.status();
      } catch {
        // fall through to the empty status
      }
      const empty = emptyStatus();
      empty.dropped.opted_out = deniedEarly;
      return empty;
    },
    shutdown: (shutdownOptions) =>
      flush(shutdownOptions).then(() => {
        closed = true;
        stop();
      }),
  };
}
