/**
 * The HTTP handler of the ingest server: CORS, method, rate limit, auth, body, validation, store.
 * Every request gets a status with a JSON body; nothing thrown escapes to `node:http`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenMatches } from './auth.js';
import type { ServerOptions } from './options.js';
import { createRateLimiter } from './rate-limit.js';
import { itemSpans } from './item-spans.js';
import { isSingleLine } from './lines.js';
import { checkHeaders, readBody } from './read-body.js';
import type { Store } from './store.js';
import { validateBody } from './validate.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths that take the native format: `/ingest`, plus `/` and `/v1/telemetry` for endpoint URLs people guess. */
const INGEST_PATHS = new Set(['/', '/ingest', '/v1/telemetry']);
const TOKEN_HEADER = 'x-telemetry-token';

export function createIngestHandler(options: ServerOptions, store: Store): RequestHandler {
  const limiter = options.rateLimit === 'off' ? undefined : createRateLimiter(options.rateLimit, options.now);
  const cors = {
    'Access-Control-Allow-Origin': options.corsOrigin,
    // Without this a cross-origin client cannot read Retry-After on a 429.
    'Access-Control-Expose-Headers': 'Retry-After',
  };

  function reply(
    res: ServerResponse,
    status: number,
    body: object,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) return;
    const json = JSON.stringify(body);
    res.writeHead(status, {
      ...cors,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Cache-Control': 'no-store',
      // Refused before its body was read (or part-way, 413): close rather than read the rest.
      ...(res.req.complete ? {} : { Connection: 'close' }),
      ...headers,
    });
    res.end(json);
  }

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
        ...cors,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding, X-Telemetry-Token',
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
    if (!INGEST_PATHS.has(path)) return fail(res, 404, `no route for ${path}`);
    if (req.method !== 'POST') {
      return fail(res, 405, `method ${req.method} not allowed`, { Allow: 'POST, OPTIONS' });
    }

    // Before the body is read, so a flood costs no reading or parsing. Keyed by the socket's
    // address: X-Forwarded-For is not trusted, since any client can set it.
    const waitMs = limiter?.take(req.socket.remoteAddress ?? 'unknown') ?? 0;
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return fail(res, 429, 'rate limit exceeded', { 'Retry-After': String(seconds) });
    }

    // A header token is checked before the body is read; a body token (unload sends) only after.
    const headerToken = req.headers[TOKEN_HEADER];
    if (options.token !== undefined && headerToken !== undefined) {
      if (typeof headerToken !== 'string' || !tokenMatches(headerToken, options.token)) {
        return fail(res, 401, 'invalid token');
      }
    }

    const headers = checkHeaders(req);
    if ('status' in headers) return fail(res, headers.status, headers.reason);
    const read = await readBody(req, headers.encoding, options.maxBodyBytes);
    if ('status' in read) return fail(res, read.status, read.reason);

    let parsed: unknown;
    try {
      parsed = JSON.parse(read.text);
    } catch (error) {
      return fail(res, 400, `invalid JSON: ${(error as Error).message}`);
    }

    if (options.token !== undefined && headerToken === undefined) {
      const bodyToken = isRecord(parsed) ? parsed.token : undefined;
      if (bodyToken === undefined) return fail(res, 401, 'missing token');
      if (typeof bodyToken !== 'string' || !tokenMatches(bodyToken, options.token)) {
        return fail(res, 401, 'invalid token');
      }
    }

    // The validated body holds only known fields, so a body `token` is never stored.
    const result = validateBody(parsed);
    if (!result.ok) return fail(res, 400, result.reason);
    const { body } = result;
    const received = { logs: body.logs.length, traces: body.traces.length, metrics: body.metrics.length };

    let duplicate: boolean;
    try {
      // Compact bodies (what every client sends) have their items' text reused for the lines.
      const spans = isSingleLine(read.text) ? itemSpans(read.text) : undefined;
      const raw = spans && { text: read.text, spans };
      ({ duplicate } = await store.append(body, options.now(), raw));
    } catch (error) {
      options.onError(error);
      return fail(res, 500, 'could not store the batch');
    }
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
