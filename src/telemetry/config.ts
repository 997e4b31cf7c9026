import type { Encoder } from './encoders/encoder.js';
import type { KeepaliveBudget } from './keepalive-budget.js';
import type { Outbox } from './outbox.js';
import type { ScrubPattern } from './privacy.js';
import type { Kind, LogRecord, MetricRecord, Random, SpanRecord } from './records.js';
import type { Transport } from './transport.js';

/** Wire formats the client can speak. */
export type TelemetryFormat = 'native' | 'otlp' | 'posthog';

/**
 * How much is collected. `'minimal'`: errors (error logs, exceptions) and web vitals only.
 * `'normal'`: everything but debug logs. `'verbose'`: everything, debug logs included.
 */
export type TelemetryLevel = 'minimal' | 'normal' | 'verbose';

/** Options of `createTelemetry`. Everything is optional; without an `endpoint` the client stays disabled. */
export interface TelemetryOptions {
  /**
   * Wire format. `'native'`: `endpoint` is the ingest URL. `'otlp'`: OTLP/HTTP JSON, `endpoint` is the
   * collector's base URL (requests go to `/v1/logs`, `/v1/traces`, `/v1/metrics`), `token` a bearer
   * token. `'posthog'`: `endpoint` is the PostHog host, `token` the project key. The OTLP and PostHog
   * encoders are loaded on first use (`import()`), so a native client never carries them.
   * @default 'native'
   */
  format?: TelemetryFormat;
  /** Encodes batches for the wire; takes precedence over `format` (e.g. `otlpEncoder({ endpoint })` from `pwa-telemetry/otlp`). @default from `format` */
  encoder?: Encoder;
  /** Ingest URL (the local server's `POST /ingest`, or any native-format endpoint). @default undefined (disabled) */
  endpoint?: string;
  /** Shared secret sent as `X-Telemetry-Token` (or in the body on unload sends). @default undefined */
  token?: string;
  /** Env switch: `false` turns the client into a no-op that opens nothing. @default true */
  enabled?: boolean;
  /** Feature-flag gate evaluated once at creation; both it and `enabled` must say yes. @default () => true */
  featureFlag?: () => boolean;
  /** Events buffered before a flush is triggered. @default 10 */
  batchSize?: number;
  /** Timer flush period in ms. @default 30000 */
  flushIntervalMs?: number;
  /** Buffered events are written to the outbox at most this long after they were recorded, so a killed page loses nothing. @default 1000 */
  persistDelayMs?: number;
  /**
   * Least time between two sends started by `batchSize`: while events keep coming, those that arrive
   * in the meantime join the next batch, so a page logging steadily sends one larger request a second
   * rather than one every few events (fewer requests, less main-thread work, and gzip does far better on
   * a large body). The first batch after a quiet spell still goes at once; `flush()`, the timer and
   * leaving the page are not delayed. Events still reach the outbox within `persistDelayMs`.
   * @default 1000
   */
  minBatchIntervalMs?: number;
  /** Fraction of sessions that send anything, decided once per session. @default 1 */
  sampleRate?: number;
  /** App name, sent as `resource.app`. @default 'app' */
  app?: string;
  /** App version, sent as `resource.version`. @default '0.0.0' */
  version?: string;
  /**
   * Cap on events held in memory, and on events in the outbox; past it the oldest are dropped and
   * counted as `queue_full`. Sized so a burst of 10,000 events in one task arrives whole.
   * @default 20000
   */
  maxQueuedEvents?: number;
  /** Cap on the outbox's size in bytes (JSON of its events); past it the oldest batches are dropped and counted as `queue_full`. @default 16777216 (16 MiB) */
  maxQueuedBytes?: number;
  /**
   * Storm protection: events with the same message (logs) or name (metrics, spans) past this many in
   * a minute are dropped and counted as `storm`, so a runaway loop cannot flood the outbox and the
   * server. High enough that a burst of 10,000 identical events still arrives whole.
   * @default 10000
   */
  maxRepeatsPerMinute?: number;
  /** gzip request bodies over 1 KiB with CompressionStream where it exists (not at unload: compression is async). @default true */
  compress?: boolean;
  /** Server failures (5xx, 408) a batch may meet before it is dropped and counted as `max_attempts`. @default 5 */
  maxAttempts?: number;
  /** Age after which an undelivered batch is dropped and counted as `expired`. @default 604800000 (7 days) */
  maxAgeMs?: number;
  /** Largest encoded batch in bytes; larger ones are split. Capped at 60000 (the keepalive budget). @default 60000 */
  maxBatchBytes?: number;
  /** First retry delay; doubles per failure with jitter. @default 2000 */
  retryBaseMs?: number;
  /** Longest retry delay. @default 300000 */
  retryMaxMs?: number;
  /** Where unsent batches wait. @default IndexedDB via idb-keyval, memory when IndexedDB is missing or broken */
  outbox?: Outbox;
  /** Sends one encoded body. @default fetch (keepalive for sends made as the page leaves) */
  transport?: Transport;
  /** The keepalive budget unload sends draw from. @default the page-wide budget every client of the document shares */
  keepaliveBudget?: KeepaliveBudget;
  /** Web Locks, to tell live pages from dead ones sharing the outbox; null to rely on claim leases. @default navigator.locks */
  locks?: LockManager | null;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** Randomness for sampling, jitter and ids in tests. @default crypto.getRandomValues / Math.random */
  random?: Random;
  /** Receives the client's own diagnostics; never routed through the app logger. @default no-op */
  onDiagnostic?: (message: string, detail?: unknown) => void;
  /**
   * `'granted'`: record unless the user opted out (the data is scrubbed of personal data first, and
   * the env switch and feature flag already gate it). `'required'`: record nothing, not even in
   * memory, until `optIn()`; the stored choice is read at creation.
   * @default 'granted'
   */
  consent?: 'granted' | 'required';
  /**
   * Extra patterns scrubbed out of every string after the built-in ones, e.g.
   * `{ pattern: /\bCUST-\d{6}\b/, replacement: '[customer]' }` (see README, "What the privacy step scrubs").
   * @default []
   */
  scrubPatterns?: readonly ScrubPattern[];
  /** Keys whose values are kept although their name reads as sensitive (values are still pattern-scrubbed). @default [] */
  allowKeys?: readonly string[];
  /**
   * Sees every record before it is buffered: edit it (in place or by returning a new one) or drop it
   * by returning `null` or `false` (counted as `before_send`). A hook that throws, or changes a field's
   * type, drops the record (counted as `before_send_error`). What it returns is scrubbed again.
   * @default undefined
   */
  beforeSend?: (record: LogRecord | SpanRecord | MetricRecord, kind: Kind) => object | null | false | void;
  /**
   * Treat Global Privacy Control (`navigator.globalPrivacyControl`, sent by the browser on the user's
   * behalf) as an opt-out until the user opts in through `optIn()`.
   * @default true
   */
  respectGpc?: boolean;
  /** Also add `url` (origin + path, no query) to logs. @default true */
  captureUrl?: boolean;
  /** How much is collected (see `TelemetryLevel`); `setLevel()` changes it at run time. @default 'normal' */
  level?: TelemetryLevel;
  /**
   * Collect into the outbox and never send: for air-gapped machines. `exportQueued()` returns what
   * waits as JSON (native bodies the ingest server accepts), `clearQueued()` empties the outbox.
   * @default false
   */
  airGapped?: boolean;
  /** A session ends after this long without an event (or hidden); the next event starts a new one. @default 1800000 (30 min) */
  sessionTimeoutMs?: number;
  /**
   * Record `session_start` and `session_end` (reason, duration, page views) logs. Off, sessions
   * still rotate after `sessionTimeoutMs`; only the events are not recorded.
   * @default true
   */
  sessionEvents?: boolean;
  /** Deployment environment, sent as `resource.environment` (e.g. 'production', 'staging'). @default undefined */
  environment?: string;
  /**
   * More resource attributes, sent with every batch and stored with every line (e.g.
   * `{ channel: 'beta' }`); string values only. `app`, `version` and the context fields win.
   * @default {}
   */
  resource?: Record<string, string>;
  /** Add coarse browser (name and major version), OS and device class to the resource. @default true */
  captureContext?: boolean;
}

/** Options with every default applied. */
export interface ResolvedOptions extends Required<
  Omit<
    TelemetryOptions,
    'endpoint' | 'token' | 'outbox' | 'transport' | 'random' | 'locks' | 'keepaliveBudget' | 'environment'
  >
> {
  environment: string | undefined;
  keepaliveBudget: KeepaliveBudget | undefined;
  locks: LockManager | null | undefined;
  endpoint: string | undefined;
  token: string | undefined;
  outbox: Outbox | undefined;
  transport: Transport | undefined;
  random: Random | undefined;
}

/** Reads one option as given: the resolved value, or the default when the value is unusable. */
type Resolve = (value: unknown) => unknown;

/** Taken as given: their users check them, or the option is an object the client calls. */
const given: Resolve = (value) => value;
/** Only an explicit false turns these off. */
const on: Resolve = (value) => value !== false;
const text =
  (fallback?: string): Resolve =>
  (value) =>
    typeof value === 'string' && value !== '' ? value : fallback;
const fn =
  (fallback?: unknown): Resolve =>
  (value) =>
    typeof value === 'function' ? value : fallback;
/**
 * A numeric option: its default, the range accepted, and whether it counts something (then it is
 * rounded down). Anything else (NaN, Infinity, a string, out of range) gets the default.
 */
const num =
  (fallback: number, min: number, max = Infinity, whole = false): Resolve =>
  (value) =>
    Number.isFinite(value) && (value as number) >= min && (value as number) <= max
      ? whole
        ? Math.floor(value as number)
        : value
      : fallback;

/** A valid level, or undefined. */
export const level = (value: unknown): TelemetryLevel | undefined =>
  value === 'minimal' || value === 'normal' || value === 'verbose' ? value : undefined;

/** The string-valued fields of a plain object (none when it cannot be read). */
function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v.slice(0, 256);
  } catch {
    // a Proxy or getter that throws: what was read so far
  }
  return out;
}

/** The entries of `list` that pass `keep` (none when it is not an array or cannot be read). */
function entries(list: unknown, keep: (item: unknown) => boolean): unknown[] {
  try {
    return Array.isArray(list) ? list.slice(0, 100).filter(keep) : [];
  } catch {
    return [];
  }
}

/**
 * Every option and how it is resolved: the one list of option names, so `safeOptions` copies exactly
 * these and `resolveOptions` gives each its default (the type makes it name every option).
 */
const OPTIONS: Record<keyof TelemetryOptions, Resolve> = {
  format: (value) => (value === 'otlp' || value === 'posthog' ? value : 'native'),
  encoder: given,
  endpoint: text(),
  token: text(),
  enabled: on,
  featureFlag: fn(() => true),
  batchSize: num(10, 1, Infinity, true),
  flushIntervalMs: num(30_000, 10),
  persistDelayMs: num(1_000, 0),
  minBatchIntervalMs: num(1_000, 0),
  sampleRate: num(1, 0, 1),
  app: text('app'),
  version: text('0.0.0'),
  maxQueuedEvents: num(20_000, 1, Infinity, true),
  maxQueuedBytes: num(16 * 1024 * 1024, 1024, Infinity, true),
  maxRepeatsPerMinute: num(10_000, 1, Infinity, true),
  compress: on,
  maxAttempts: num(5, 1, Infinity, true),
  maxAgeMs: num(7 * 24 * 60 * 60 * 1000, 1),
  // At most the 64 KiB keepalive budget (fetch spec, "keepalive" inflight bytes) less room for the
  // headers of peers' sends: a batch must be sendable while the page unloads.
  maxBatchBytes: num(60_000, 1024, 60_000, true),
  retryBaseMs: num(2_000, 0),
  retryMaxMs: num(300_000, 0),
  outbox: given,
  transport: given,
  keepaliveBudget: given,
  locks: given,
  // Date.now as it is when the client is made, not when this module loaded (fake clocks replace it).
  now: (value) => fn(Date.now)(value),
  random: given,
  onDiagnostic: fn(() => {}),
  consent: (value) => (value === 'required' ? 'required' : 'granted'),
  // Only entries of the right shape.
  scrubPatterns: (value) => entries(value, (p) => (p as ScrubPattern | null)?.pattern instanceof RegExp),
  allowKeys: (value) => entries(value, (k) => typeof k === 'string'),
  beforeSend: fn(),
  respectGpc: on,
  captureUrl: on,
  level: (value) => level(value) ?? 'normal',
  airGapped: (value) => value === true,
  sessionTimeoutMs: num(30 * 60_000, 1),
  sessionEvents: on,
  environment: text(),
  resource: strings,
  captureContext: on,
};

/**
 * A plain copy of what the page passed as options, read once and never again: anything but an
 * object counts as `{}`, and a getter or Proxy trap that throws loses only its own key. So
 * `createTelemetry` and `configure` never throw, whatever they are given (DESIGN.md section 3);
 * `resolveOptions` then checks each value.
 */
export function safeOptions(input: unknown): TelemetryOptions {
  const out: Record<string, unknown> = {};
  // Every option by name (own or inherited, as reading them one by one found them).
  for (const key of Object.keys(OPTIONS)) {
    try {
      // Only what is set: an undefined here would hide the Vite env in configure().
      const value = (input as Record<string, unknown> | null)?.[key];
      if (value !== undefined) out[key] = value;
    } catch {
      // this option is lost, not the others
    }
  }
  return out;
}

export function resolveOptions(options: TelemetryOptions = {}): ResolvedOptions {
  const resolved: Record<string, unknown> = {};
  for (const [name, resolve] of Object.entries(OPTIONS))
    resolved[name] = resolve((options as Record<string, unknown>)[name]);
  return resolved as unknown as ResolvedOptions;
}

/** Every default (tests compare against them). */
export const DEFAULTS: ResolvedOptions = /* @__PURE__ */ resolveOptions();

/** The Vite env variables the singleton reads (contract, documented in .env.example). */
export interface TelemetryEnv {
  VITE_TELEMETRY_ENABLED?: string;
  VITE_TELEMETRY_ENDPOINT?: string;
  VITE_TELEMETRY_TOKEN?: string;
  VITE_TELEMETRY_FORMAT?: string;
  VITE_TELEMETRY_BATCH_SIZE?: string;
  VITE_TELEMETRY_FLUSH_INTERVAL_MS?: string;
  VITE_TELEMETRY_SAMPLE_RATE?: string;
  VITE_TELEMETRY_APP?: string;
  VITE_TELEMETRY_VERSION?: string;
  VITE_TELEMETRY_LEVEL?: string;
  VITE_TELEMETRY_AIR_GAPPED?: string;
  VITE_TELEMETRY_ENVIRONMENT?: string;
}

/**
 * Options from Vite env (`import.meta.env`). Enabled only when `VITE_TELEMETRY_ENABLED` is exactly `'true'`.
 * An endpoint may be relative (`/ingest`); it is resolved against the page's origin.
 */
export function fromViteEnv(env: TelemetryEnv | undefined): TelemetryOptions {
  const read = (name: string): string | undefined =>
    (env as Record<string, string | undefined> | undefined)?.[`VITE_TELEMETRY_${name}`];
  // A blank or non-numeric value is left out, so the default applies.
  const num = (name: string): number | undefined => {
    const n = read(name)?.trim() ? Number(read(name)) : NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  return {
    enabled: read('ENABLED') === 'true',
    endpoint: read('ENDPOINT'),
    token: read('TOKEN'),
    format: read('FORMAT') as TelemetryFormat | undefined,
    batchSize: num('BATCH_SIZE'),
    flushIntervalMs: num('FLUSH_INTERVAL_MS'),
    sampleRate: num('SAMPLE_RATE'),
    app: read('APP'),
    version: read('VERSION'),
    level: level(read('LEVEL')),
    airGapped: read('AIR_GAPPED') === 'true',
    environment: read('ENVIRONMENT'),
  };
}
