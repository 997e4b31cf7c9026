import type { Outbox } from './outbox.js';
import type { Random } from './records.js';
import type { Transport } from './transport.js';

/** Wire formats the client can speak. Only `native` is built in so far. */
export type TelemetryFormat = 'native';

/** Options of `createTelemetry`. Everything is optional; without an `endpoint` the client stays disabled. */
export interface TelemetryOptions {
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
  /** Fraction of sessions that send anything, decided once per session. @default 1 */
  sampleRate?: number;
  /** App name, sent as `resource.app`. @default 'app' */
  app?: string;
  /** App version, sent as `resource.version`. @default '0.0.0' */
  version?: string;
  /** Cap on events in memory plus outbox; the oldest are dropped and counted as `queue_full`. @default 500 */
  maxQueuedEvents?: number;
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
  /** Sends one encoded body. @default fetch with a page-wide keepalive budget */
  transport?: Transport;
  /** Web Locks, to tell live pages from dead ones sharing the outbox; null to rely on claim leases. @default navigator.locks */
  locks?: LockManager | null;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** Randomness for sampling, jitter and ids in tests. @default crypto.getRandomValues / Math.random */
  random?: Random;
  /** Receives the client's own diagnostics; never routed through the app logger. @default no-op */
  onDiagnostic?: (message: string, detail?: unknown) => void;
  /** Also add `url` (origin + path, no query) to logs. @default true */
  captureUrl?: boolean;
}

/** Options with every default applied. */
export interface ResolvedOptions extends Required<
  Omit<TelemetryOptions, 'endpoint' | 'token' | 'outbox' | 'transport' | 'random' | 'locks'>
> {
  locks: LockManager | null | undefined;
  endpoint: string | undefined;
  token: string | undefined;
  outbox: Outbox | undefined;
  transport: Transport | undefined;
  random: Random | undefined;
}

export const DEFAULTS = {
  batchSize: 10,
  flushIntervalMs: 30_000,
  persistDelayMs: 1_000,
  sampleRate: 1,
  maxQueuedEvents: 500,
  maxAttempts: 5,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  // 64 KiB keepalive budget (fetch spec, "keepalive" inflight bytes) less room for headers of peers' sends.
  maxBatchBytes: 60_000,
  retryBaseMs: 2_000,
  retryMaxMs: 300_000,
} as const;

function positive(value: number | undefined, fallback: number, min = 1): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
}

export function resolveOptions(options: TelemetryOptions = {}): ResolvedOptions {
  const sampleRate = options.sampleRate;
  return {
    endpoint: typeof options.endpoint === 'string' && options.endpoint !== '' ? options.endpoint : undefined,
    token: typeof options.token === 'string' && options.token !== '' ? options.token : undefined,
    enabled: options.enabled !== false,
    featureFlag: typeof options.featureFlag === 'function' ? options.featureFlag : () => true,
    batchSize: Math.floor(positive(options.batchSize, DEFAULTS.batchSize)),
    flushIntervalMs: positive(options.flushIntervalMs, DEFAULTS.flushIntervalMs, 10),
    persistDelayMs: positive(options.persistDelayMs, DEFAULTS.persistDelayMs, 0),
    sampleRate:
      typeof sampleRate === 'number' && sampleRate >= 0 && sampleRate <= 1 ? sampleRate : DEFAULTS.sampleRate,
    app: typeof options.app === 'string' && options.app !== '' ? options.app : 'app',
    version: typeof options.version === 'string' && options.version !== '' ? options.version : '0.0.0',
    maxQueuedEvents: Math.floor(positive(options.maxQueuedEvents, DEFAULTS.maxQueuedEvents)),
    maxAttempts: Math.floor(positive(options.maxAttempts, DEFAULTS.maxAttempts)),
    maxAgeMs: positive(options.maxAgeMs, DEFAULTS.maxAgeMs),
    // Never above the keepalive budget: a batch must be sendable while the page unloads.
    maxBatchBytes: Math.min(
      DEFAULTS.maxBatchBytes,
      Math.floor(positive(options.maxBatchBytes, DEFAULTS.maxBatchBytes, 1024)),
    ),
    retryBaseMs: positive(options.retryBaseMs, DEFAULTS.retryBaseMs, 0),
    retryMaxMs: positive(options.retryMaxMs, DEFAULTS.retryMaxMs, 0),
    outbox: options.outbox,
    transport: options.transport,
    locks: options.locks,
    now: typeof options.now === 'function' ? options.now : Date.now,
    random: options.random,
    onDiagnostic: typeof options.onDiagnostic === 'function' ? options.onDiagnostic : () => {},
    captureUrl: options.captureUrl !== false,
  };
}

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
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Options from Vite env (`import.meta.env`). Enabled only when `VITE_TELEMETRY_ENABLED` is exactly `'true'`.
 * An endpoint may be relative (`/ingest`); it is resolved against the page's origin.
 */
export function fromViteEnv(env: TelemetryEnv | undefined): TelemetryOptions {
  const e = env ?? {};
  return {
    enabled: e.VITE_TELEMETRY_ENABLED === 'true',
    endpoint: e.VITE_TELEMETRY_ENDPOINT,
    token: e.VITE_TELEMETRY_TOKEN,
    batchSize: num(e.VITE_TELEMETRY_BATCH_SIZE),
    flushIntervalMs: num(e.VITE_TELEMETRY_FLUSH_INTERVAL_MS),
    sampleRate: num(e.VITE_TELEMETRY_SAMPLE_RATE),
    app: e.VITE_TELEMETRY_APP,
    version: e.VITE_TELEMETRY_VERSION,
  };
}
