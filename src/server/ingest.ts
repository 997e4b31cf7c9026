/**
 * The HTTP handler of the ingest server: CORS, routing, rate limit, auth, body, validation, store.
 * Every request gets a status with a JSON body; nothing thrown escapes to `node:http`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kind } from '../telemetry/records.js';
import { createTokenCheck } from './auth.js';
import { clientAddress } from './client-address.js';
import { createCors } from './cors.js';
import { itemSpans } from './item-spans.js';
import { parseJson } from './json-body.js';
import { isSingleLine } from './lines.js';
import { scannedTexts } from './byte-lines.js';
import { scanBody } from './scan-body.js';
import type { RateLimit, ServerOptions } from './options.js';
import { fromOtlp, OTLP_PATHS } from './otlp-in.js';
import { createRateLimiter, type TakeToken } from './rate-limit.js';
import { bodyText, checkHeaders, readBody } from './read-body.js';
import { createReply } from './reply.js';
import type { AppendResult, RawBody, Store } from './store.js';
import { validateBody, type ValidBody } from './validate.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths that take the native format: `/ingest`, plus `/` and `/v1/telemetry` for endpoint URLs people guess. */
const INGEST_PATHS = new Set(['/', '/ingest', '/v1/telemetry']);
const TOKEN_HEADER = 'x-telemetry-token';
/** Batch identity of an OTLP request (OTLP has none of its own); without it nothing is deduped. */
const BATCH_HEADER = 'x-batch-id';
const BATCH_ID = /^[A-Za-z0-9_-]{1,128}$/;

type Parsed = { ok: true; body: ValidBody } | { ok: false; reason: string };

/**
 * `take` replaces the handler's own rate limiter (a worker of `serve --workers n` passes one that asks
 * the primary); without it, `options.rateLimit` makes one in this process.
 */
export function createIngestHandler(options: ServerOptions, store: Store, take?: TakeToken): RequestHandler {
  const limiter =
    options.rateLimit === 'off' ? undefined : (take ?? localLimiter(options.rateLimit, options.now));
  const tokenOk = options.token === undefined ? undefined : createTokenCheck(options.token);
  const cors = createCors(options.corsOrigin);
  // Discard up to 8 bodies' worth (at least 16 MiB) for up to 5 s, as nginx's lingering close does.
  const reply = createReply(cors, {
    maxBytes: Math.max(16 * 2 ** 20, 8 * options.maxBodyBytes),
    maxMs: 5000,
  });
  const fail = (
    res: ServerResponse,
    status: number,
    reason: string,
    headers?: Record<string, string>,
  ): void => reply(res, status, { error: reason }, headers);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors(req.headers.origin),
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, X-Telemetry-Token, X-Batch-Id',
        'Access-Control-Max-Age': '86400',
      });
      res.end();
      return;
    }
    if (path === '/health') {
      if (req.method === 'GET' || req.method === 'HEAD') reply(res, 200, { status: 'ok' });
      else fail(res, 405, `method ${req.method} not allowed`, { Allow: 'GET, HEAD' });
      return;
    }
    const otlp: Kind | undefined = OTLP_PATHS[path];
    if (!otlp && !INGEST_PATHS.has(path)) return fail(res, 404, `no route for ${path}`);
    if (req.method !== 'POST') {
      return fail(res, 405, `method ${req.method} not allowed`, { Allow: 'POST, OPTIONS' });
    }

    // A header token is checked before the body is read; a body token (unload sends) only after.
    const headerToken = req.headers[TOKEN_HEADER];
    const validHeaderToken = tokenOk !== undefined && typeof headerToken === 'string' && tokenOk(headerToken);

    // Before the body is read, so a flood costs no reading or parsing. Keyed by client address and
    // by whether the request carries the valid token, so unauthenticated traffic from a shared
    // address cannot use up the budget of the real clients behind it.
    let waitMs = limiter
      ? limiter(`${clientAddress(req, options.trustProxy)} ${validHeaderToken ? 'token' : '-'}`)
      : 0;
    // Only a remote limiter answers later; the local one costs no extra turn of the event loop.
    if (typeof waitMs !== 'number') waitMs = await waitMs;
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return fail(res, 429, 'rate limit exceeded', { 'Retry-After': String(seconds) });
    }

    if (tokenOk && headerToken !== undefined && !validHeaderToken) return fail(res, 401, 'invalid token');
    // OTLP exporters always can send headers: no body token there.
    if (tokenOk && otlp && headerToken === undefined) return fail(res, 401, 'missing token');

    const batchHeader = req.headers[BATCH_HEADER];
    if (
      otlp &&
      batchHeader !== undefined &&
      (typeof batchHeader !== 'string' || !BATCH_ID.test(batchHeader))
    ) {
      return fail(res, 400, 'X-Batch-Id must be 1 to 128 characters of A-Z a-z 0-9 _ -');
    }

    const headers = checkHeaders(req, otlp !== undefined);
    if ('status' in headers) return fail(res, headers.status, headers.reason);
    const read = await readBody(req, headers.encoding, options.maxBodyBytes);
    if ('status' in read) return fail(res, read.status, read.reason);

    const receivedAt = options.now();
    // A client's compact body is checked on its bytes and stored from them (scan-body.ts). A body
    // token (unload sends) and the forwarder (it needs the items; with `--workers`, it is in the
    // primary, which gets them through `store.append`) take the general path.
    const needsItems = options.onAccepted !== undefined || options.forwardOtlp !== undefined;
    const scanned =
      !otlp && (tokenOk === undefined || headerToken !== undefined) && !needsItems
        ? scanBody(read.bytes)
        : undefined;
    if (scanned) {
      const { spans } = scanned;
      const received = {
        logs: spans.logs.length / 2,
        traces: spans.traces.length / 2,
        metrics: spans.metrics.length / 2,
      };
      const texts = scannedTexts(scanned, receivedAt);
      const duplicate = await stored(res, () =>
        store.appendTexts(scanned.envelope.batchId, receivedAt, texts),
      );
      if (duplicate !== undefined) answer(res, received, duplicate);
      return;
    }

    const text = bodyText(read.bytes);
    const json = parseJson(text);
    if (!json.ok) return fail(res, 400, json.reason);
    const parsed = json.value;

    if (tokenOk && headerToken === undefined) {
      const bodyToken = isRecord(parsed) ? parsed.token : undefined;
      if (bodyToken === undefined) return fail(res, 401, 'missing token');
      if (typeof bodyToken !== 'string' || !tokenOk(bodyToken)) return fail(res, 401, 'invalid token');
    }

    // The validated body holds only known fields, so a body `token` is never stored.
    const result: Parsed = otlp
      ? fromOtlp(otlp, parsed, typeof batchHeader === 'string' ? batchHeader : `otlp-${randomUUID()}`)
      : validateBody(parsed);
    if (!result.ok) return fail(res, 400, result.reason);
    const { body } = result;
    const received = { logs: body.logs.length, traces: body.traces.length, metrics: body.metrics.length };

    // Compact native bodies (what clients send) have their items' own text reused for the lines.
    let raw: RawBody | undefined;
    if (!otlp && isSingleLine(text)) {
      const spans = itemSpans(text);
      if (spans) raw = { text, spans };
    }
    const duplicate = await stored(res, () => store.append(body, receivedAt, raw));
    if (duplicate === undefined) return;
    if (!duplicate) options.onAccepted?.(body);
    // OTLP/HTTP: a full success is an empty ExportServiceResponse.
    if (otlp) return reply(res, 200, {});
    answer(res, received, duplicate);
  }

  /** Runs the append; whether the batch was a duplicate, or undefined once a 500 was sent. */
  async function stored(
    res: ServerResponse,
    append: () => Promise<AppendResult>,
  ): Promise<boolean | undefined> {
    try {
      return (await append()).duplicate;
    } catch (error) {
      options.onError(error);
      fail(res, 500, 'could not store the batch');
      return undefined;
    }
  }

  function answer(res: ServerResponse, received: Record<Kind, number>, duplicate: boolean): void {
    reply(res, 200, duplicate ? { status: 'ok', received, duplicate } : { status: 'ok', received });
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError(error);
      if (res.headersSent) res.destroy();
      else fail(res, 500, 'internal error');
    });
  };
}

function localLimiter(limit: RateLimit, now: () => number): TakeToken {
  const limiter = createRateLimiter(limit, now);
  return (key) => limiter.take(key);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
