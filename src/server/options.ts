/** Ingest server options: defaults, and parsing of the `serve` command line and environment. */
import type { ServerOptions as ServerHttpOptions } from 'node:http';
import type { ValidBody } from './validate.js';
import { parseTrustProxy, TRUST_NONE, type TrustProxy } from './client-address.js';
import { parseCorsOrigins } from './cors.js';

/** A token bucket: at most `requests` requests per `perMs` milliseconds, refilled continuously. */
export interface RateLimit {
  requests: number;
  perMs: number;
}

export interface ServerOptions {
  /**
   * TCP port to listen on; 0 picks a free one (tests).
   * @default 8787
   */
  port: number;
  /**
   * Interface to bind. Loopback by default so a dev server is not reachable from the network.
   * @default '127.0.0.1'
   */
  host: string;
  /**
   * Root of the JSONL store, relative to the working directory unless absolute.
   * @default './.data/telemetry'
   */
  dataDir: string;
  /**
   * Shared secret expected in `X-Telemetry-Token` (or the body's `token`). Undefined turns auth off.
   * @default undefined
   */
  token: string | undefined;
  /**
   * Day files older than this many days before today (UTC) are deleted.
   * @default 30
   */
  retentionDays: number;
  /**
   * Which pages may read the ingest answers: `'*'` (any origin), or a comma-separated list of origins
   * (`'https://app.example,https://beta.app.example'`). With a list, an answer carries
   * `Access-Control-Allow-Origin` only for a request whose `Origin` is in it, and `Vary: Origin`.
   * @default '*'
   */
  corsOrigin: string;
  /**
   * Largest accepted body in bytes, checked on the wire and again after decompression.
   * @default 1_048_576
   */
  maxBodyBytes: number;
  /**
   * Longest time a request may take to arrive, headers and body; then it is answered 408 and its
   * connection closed, so a client that stalls or trickles a body does not hold a socket and a
   * buffer for Node's default of 5 minutes. A client batch is at most 60 kB: 30 s allows 2 kB/s.
   * @default 30_000
   */
  requestTimeoutMs: number;
  /**
   * Per client address and token (see rate-limit.ts), or `'off'`. The default lets one address
   * (a NAT, an office, a proxy without `trustProxy`) send 120 requests a second with bursts of 1,200:
   * over three times the ~35 requests a second of 1,000 browsers flushing every 30 s, while a client
   * stuck in a send loop is still stopped.
   * @default { requests: 1200, perMs: 10_000 }
   */
  rateLimit: RateLimit | 'off';
  /**
   * Which socket peers are proxies whose `Forwarded` / `X-Forwarded-For` name the client.
   * @default trusts none
   */
  trustProxy: TrustProxy;
  /**
   * Processes answering requests. Above 1, a primary process holds the dedupe index and does every
   * write (so dedupe stays exact), and that many worker processes parse and validate (cluster.ts).
   * @default 1
   */
  workers: number;
  /**
   * Clock in epoch milliseconds: day files, `received_at`, rate limits and retention all read it.
   * @default Date.now
   */
  now: () => number;
  /**
   * Where unexpected failures (a store write that failed, a retention sweep) are reported; the
   * client only ever sees a status code.
   * @default writes the error to stderr
   */
  onError: (error: unknown) => void;
  /** Collector base URL: accepted batches are also forwarded there as OTLP (forward-otlp.ts). */
  forwardOtlp?: string;
  /** Called with every newly stored batch (not with a duplicate); the forwarder hooks in here. */
  onAccepted?: (body: ValidBody) => void;
}

/** Thrown for a bad command-line flag or environment value; the message names the culprit. */
export class OptionsError extends Error {
  override name = 'OptionsError';
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requests: 1200, perMs: 10_000 };

export function defaultOptions(): ServerOptions {
  return {
    port: 8787,
    host: '127.0.0.1',
    dataDir: './.data/telemetry',
    token: undefined,
    retentionDays: 30,
    corsOrigin: '*',
    maxBodyBytes: 1_048_576,
    requestTimeoutMs: 30_000,
    rateLimit: DEFAULT_RATE_LIMIT,
    trustProxy: TRUST_NONE,
    workers: 1,
    now: Date.now,
    onError: (error) => console.error('[pwa-telemetry]', error),
  };
}

/** Fills in defaults and rejects values the server cannot run with. */
export function resolveOptions(options: Partial<ServerOptions> = {}): ServerOptions {
  const resolved = { ...defaultOptions(), ...options };
  checkInteger('port', resolved.port, 0, 65_535);
  checkInteger('retentionDays', resolved.retentionDays, 1);
  checkInteger('maxBodyBytes', resolved.maxBodyBytes, 1);
  checkInteger('requestTimeoutMs', resolved.requestTimeoutMs, 1);
  checkInteger('workers', resolved.workers, 1, 64);
  checkCors(resolved.corsOrigin, 'corsOrigin');
  if (resolved.rateLimit !== 'off') {
    checkInteger('rateLimit.requests', resolved.rateLimit.requests, 1);
    checkInteger('rateLimit.perMs', resolved.rateLimit.perMs, 1);
  }
  return resolved;
}

/**
 * `node:http` server settings from the options. Node checks request deadlines every
 * `connectionsCheckingInterval` (30 s by default), so a short timeout needs a shorter check.
 */
export function httpServerOptions(options: ServerOptions): ServerHttpOptions {
  const timeout = options.requestTimeoutMs;
  return {
    requestTimeout: timeout,
    // Node refuses a headers timeout above the request timeout.
    headersTimeout: Math.min(timeout, 60_000),
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(timeout / 4))),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

interface Setting {
  flag: string;
  env?: string;
  apply(options: ServerOptions, value: string, source: string): void;
}

const SETTINGS: readonly Setting[] = [
  { flag: '--port', env: 'TELEMETRY_PORT', apply: (o, v, s) => (o.port = parseInteger(v, s, 0, 65_535)) },
  { flag: '--host', env: 'TELEMETRY_HOST', apply: (o, v) => (o.host = v) },
  { flag: '--data-dir', env: 'TELEMETRY_DATA_DIR', apply: (o, v) => (o.dataDir = v) },
  { flag: '--token', env: 'TELEMETRY_TOKEN', apply: (o, v) => (o.token = v) },
  {
    flag: '--retention-days',
    env: 'TELEMETRY_RETENTION_DAYS',
    apply: (o, v, s) => (o.retentionDays = parseInteger(v, s, 1)),
  },
  {
    flag: '--cors-origin',
    env: 'TELEMETRY_CORS_ORIGIN',
    apply(o, v, s) {
      checkCors(v, s);
      o.corsOrigin = v;
    },
  },
  { flag: '--max-body-bytes', apply: (o, v, s) => (o.maxBodyBytes = parseInteger(v, s, 1)) },
  {
    flag: '--forward-otlp',
    env: 'TELEMETRY_FORWARD_OTLP',
    apply: (o, v, s) => (o.forwardOtlp = httpUrl(v, s)),
  },
  {
    flag: '--workers',
    env: 'TELEMETRY_WORKERS',
    apply: (o, v, s) => (o.workers = parseInteger(v, s, 1, 64)),
  },
  {
    flag: '--rate-limit',
    env: 'TELEMETRY_RATE_LIMIT',
    apply: (o, v, s) => (o.rateLimit = parseRateLimit(v, s)),
  },
  {
    flag: '--trust-proxy',
    env: 'TELEMETRY_TRUST_PROXY',
    apply(o, v, s) {
      const trust = parseTrustProxy(v);
      if (!trust)
        throw new OptionsError(`${s} must be IP addresses or loopback, comma-separated, got "${v}"`);
      o.trustProxy = trust;
    },
  },
];

function checkCors(value: unknown, source: string): void {
  try {
    if (typeof value !== 'string') throw new Error(`expected a string, got ${typeof value}`);
    parseCorsOrigins(value);
  } catch (error) {
    throw new OptionsError(`${source}: ${(error as Error).message}`);
  }
}

function httpUrl(value: string, source: string): string {
  if (!/^https?:\/\/[^/]/.test(value))
    throw new OptionsError(`${source} must be an http(s) URL, got "${value}"`);
  return value;
}

/** `<requests>/<seconds>` (e.g. `1200/10`) or `off`. */
function parseRateLimit(value: string, source: string): RateLimit | 'off' {
  if (value === 'off') return 'off';
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const requests = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || requests < 1 || seconds < 1) {
    throw new OptionsError(`${source} must be <requests>/<seconds> (e.g. 1200/10) or off, got "${value}"`);
  }
  return { requests, perMs: seconds * 1000 };
}

/**
 * Options for `serve` from its flags (`--port 9000` or `--port=9000`) and `TELEMETRY_*` variables.
 * Flags win over the environment. An empty environment variable counts as unset, so
 * `TELEMETRY_TOKEN=` in a shell does not switch auth on with an empty secret.
 * @throws OptionsError naming the flag or variable at fault
 */
export function parseServeArgs(argv: readonly string[], env: Env): ServerOptions {
  const options = defaultOptions();
  for (const setting of SETTINGS) {
    if (setting.env === undefined) continue;
    const value = env[setting.env];
    if (value !== undefined && value !== '') setting.apply(options, value, setting.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new OptionsError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new OptionsError(`unknown option ${flag}`);
    const next = argv[i + 1];
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (next !== undefined && !next.startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new OptionsError(`${flag} needs a value`);
    setting.apply(options, value, flag);
  }
  return options;
}

function parseInteger(value: string, source: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new OptionsError(`${source} must be ${range(min, max)}, got "${value}"`);
  return n;
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(`${name} must be ${range(min, max)}, got ${String(value)}`);
  }
}

function range(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}
