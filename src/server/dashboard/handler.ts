/**
 * The dashboard's HTTP side, under one path prefix (`/dashboard`): the built front-end, a login form
 * endpoint, and a read-only JSON API over the store index (views.ts answers it). No CORS headers,
 * ever: nothing here is readable from another origin, and the pages may not be framed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenMatches } from '../auth.js';
import { authorized, clearedCookie, localHost, sameOrigin, sessionCookie } from './auth.js';
import { defaultStaticDir, serveStatic } from './static.js';
import { StoreIndex } from './store-index.js';
import { indexViews, type AnswerView } from './views.js';

export interface DashboardOptions {
  dataDir: string;
  /** When set, the API needs it (header or login cookie). @default undefined (open, like the ingest endpoint) */
  token?: string | undefined;
  /** URL prefix. @default '/dashboard' */
  path?: string;
  /** Where the built front-end is. @default the package's dist/dashboard */
  staticDir?: string;
  /** @default Date.now */
  now?: () => number;
  /** @default writes to stderr */
  onError?: (error: unknown) => void;
}

/** Handles the request when its path is under the dashboard's prefix; false (untouched) otherwise. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface Dashboard {
  readonly index: StoreIndex;
  readonly handle: DashboardHandler;
  /** The API's answers over `index`; the primary of `--workers n` answers its workers' with it. */
  readonly answer: AnswerView;
  /** Pass to `openStore` so the index follows appends. */
  readonly onAppend: () => void;
  /**
   * Builds the index in the background. Called once the server listens, so the store's own start-up
   * scan does not share the CPU with it; an API call made before it ends waits for it.
   */
  start(): void;
  close(): void;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};
const LOGIN_BODY_LIMIT = 4096;
/** A path the URL parser leaves as it is: no dot segments, escapes, query, or `//` authority. */
const PLAIN_PATH = /^\/(?!\/)[\w/-]*$/;

/** The dashboard of a process that holds the store: its index, API answers and HTTP handler. */
export function createDashboard(options: DashboardOptions): Dashboard {
  const index = new StoreIndex(options.dataDir);
  const onError = errorReporter(options);
  const answer = indexViews(index, options.now ?? Date.now, options.token !== undefined);
  return {
    index,
    answer,
    handle: dashboardHandler(options, answer),
    onAppend: () => index.notify(),
    start: () => void index.refresh().catch(onError),
    close: () => index.close(),
  };
}

const errorReporter = (options: DashboardOptions): ((error: unknown) => void) =>
  options.onError ?? ((error: unknown) => console.error('[pwa-telemetry dashboard]', error));

/**
 * The HTTP side: front-end files, login and the token check run here; the API's answers come from
 * `answer`, which a worker of `--workers n` asks of the primary, so only requests that passed the
 * check cost the primary anything.
 */
export function dashboardHandler(options: DashboardOptions, answer: AnswerView): DashboardHandler {
  const base = (options.path ?? '/dashboard').replace(/\/+$/, '');
  const staticDir = options.staticDir ?? defaultStaticDir();
  const onError = errorReporter(options);
  const { token } = options;

  function send(
    res: ServerResponse,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void =>
    send(res, status, JSON.stringify(body), headers);

  async function api(req: IncomingMessage, res: ServerResponse, view: string, search: string): Promise<void> {
    if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' }, { Allow: 'GET' });
    if (!authorized(req, token)) return json(res, 401, { error: 'login required' });
    if (token === undefined && !localHost(req)) {
      return json(res, 403, { error: 'set a token to use the dashboard under a host name' });
    }
    const { status, text } = await answer(view, search);
    send(res, status, text);
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' }, { Allow: 'POST' });
    if (!sameOrigin(req)) return json(res, 403, { error: 'cross-origin login refused' });
    const text = await readSmallBody(req);
    const given = text === undefined ? null : new URLSearchParams(text).get('token');
    if (token === undefined) return json(res, 200, { status: 'ok', auth: false });
    if (given === null || !tokenMatches(given, token)) {
      // Slows guessing down without any state to keep.
      await new Promise((r) => setTimeout(r, 300));
      return json(res, 401, { error: 'wrong token' });
    }
    json(res, 200, { status: 'ok' }, { 'Set-Cookie': sessionCookie(token, base) });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rel = url.pathname.slice(base.length);
    if (rel === '') {
      res.writeHead(301, { ...SECURITY_HEADERS, Location: `${base}/${url.search}` });
      return void res.end();
    }
    if (rel === '/login') return login(req, res);
    if (rel === '/logout') {
      if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' }, { Allow: 'POST' });
      return json(res, 200, { status: 'ok' }, { 'Set-Cookie': clearedCookie(base) });
    }
    if (rel.startsWith('/api/')) return api(req, res, rel.slice(5), url.search);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    return serveStatic(res, staticDir, rel.slice(1), SECURITY_HEADERS);
  }

  return (req, res) => {
    const raw = req.url ?? '/';
    // Every ingest request passes here first: a plain path is its own pathname, so it is
    // compared without parsing a URL (a parse per request showed in the ingest profile).
    if (PLAIN_PATH.test(raw) && raw !== base && !raw.startsWith(`${base}/`)) return false;
    const url = new URL(raw, 'http://localhost');
    if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;
    route(req, res, url).catch((error: unknown) => {
      onError(error);
      if (res.headersSent) res.destroy();
      else json(res, 500, { error: 'internal error' });
    });
    return true;
  };
}

/** The body as text, or undefined when it is over LOGIN_BODY_LIMIT. */
async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LOGIN_BODY_LIMIT) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
