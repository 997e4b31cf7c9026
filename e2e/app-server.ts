/**
 * Serves one built variant of the demo app and forwards its same-origin `/ingest` to the real ingest
 * server, recording every request on the way and, on demand, failing some of them.
 *
 * Every `/ingest` answer carries `Connection: close`: Chromium silently re-sends a POST when a reused
 * keep-alive connection closes without an answer (PLATFORM.md), which would hide what the client did.
 */
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { echoBody } from '../scripts/echo.js';

/** One request that reached `/ingest`, as the browser sent it. */
export interface IngestRequest {
  method: string;
  contentType: string | undefined;
  /** The `X-Telemetry-Token` header, if any. */
  tokenHeader: string | undefined;
  /** `gzip` when the client compressed the body. */
  encoding?: string;
  /** The body parsed as JSON, or null when it was not JSON. */
  body: Record<string, unknown> | null;
  bytes: number;
  /** The status the browser got. */
  status: number;
  /** Whether the ingest server saw the request (false for injected failures before forwarding). */
  forwarded: boolean;
  /**
   * The `Referer` header: the page's URL for a page's send, the worker script's URL (`…/sw.js`) for a
   * send made by the service worker.
   */
  referer: string | undefined;
}

/** One request to the demo API (`GET /api/echo`), as the browser sent it. */
export interface ApiRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** The W3C `traceparent` header, if any. */
  traceparent: string | undefined;
}

export interface AppServer {
  url: string;
  /** Every `/ingest` request so far, oldest first. */
  readonly requests: readonly IngestRequest[];
  /** Every `/api/echo` request so far, oldest first. */
  readonly apiRequests: readonly ApiRequest[];
  /** Answers the next `n` ingest requests with `status` without forwarding them. */
  failNext(n: number, status?: number, headers?: Record<string, string>): void;
  /**
   * Forwards the next `n` ingest requests (so the server stores them) but answers the browser `status`
   * instead of the server's answer: a response lost after the server stored the batch.
   */
  loseResponses(n: number, status?: number): void;
  /**
   * While down, `/ingest` requests fail as a network error (the connection is reset, nothing is
   * forwarded). Playwright's `context.setOffline` does not reach keepalive requests that outlive their
   * page, so tests of offline behaviour take the ingest path down here too.
   */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body as JSON (gunzipped first when the client compressed it), or null. */
function parseJson(body: Buffer, encoding: string | undefined): Record<string, unknown> | null {
  try {
    const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function forward(target: string, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.connection;
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      new URL(req.url ?? '/ingest', target),
      { method: req.method, headers, agent: false },
      (res) => {
        readAll(res).then((data) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding')
              out[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 502, headers: out, body: data });
        }, reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

export interface AppServerOptions {
  /**
   * What the browser gets when the ingest server cannot be reached or drops the connection: `502`, as
   * a reverse proxy answers, or `'reset'`, its own connection reset, as when it talks to the ingest
   * server directly (the fault matrix, e2e/fault-matrix.spec.ts). @default 502
   */
  upstreamFailure?: 502 | 'reset';
}

/** Starts the server on a free port of 127.0.0.1. `ingestUrl` is the ingest server's base URL. */
export async function startAppServer(
  root: string,
  ingestUrl: string,
  { upstreamFailure = 502 }: AppServerOptions = {},
): Promise<AppServer> {
  const requests: IngestRequest[] = [];
  const apiRequests: ApiRequest[] = [];
  const failures: { status: number; headers: Record<string, string> }[] = [];
  const lost: number[] = [];
  let down = false;

  async function ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (down) {
      requests.push({
        method: req.method ?? '',
        contentType: req.headers['content-type'],
        tokenHeader: req.headers['x-telemetry-token'] as string | undefined,
        body: null,
        bytes: 0,
        status: 0,
        forwarded: false,
        referer: req.headers.referer,
      });
      req.socket.destroy();
      return;
    }
    const body = await readAll(req);
    const record: IngestRequest = {
      method: req.method ?? '',
      contentType: req.headers['content-type'],
      tokenHeader: req.headers['x-telemetry-token'] as string | undefined,
      body: parseJson(body, req.headers['content-encoding']),
      encoding: req.headers['content-encoding'],
      bytes: body.length,
      status: 0,
      forwarded: false,
      referer: req.headers.referer,
    };
    requests.push(record);
    const failure = failures.shift();
    if (failure) {
      record.status = failure.status;
      res.writeHead(failure.status, {
        ...failure.headers,
        'Content-Type': 'application/json',
        Connection: 'close',
      });
      res.end(JSON.stringify({ error: 'injected failure' }));
      return;
    }
    let upstream: Upstream;
    try {
      upstream = await forward(ingestUrl, req, body);
    } catch (error) {
      if (upstreamFailure !== 'reset') throw error;
      req.socket.destroy();
      return;
    }
    record.forwarded = true;
    const lostStatus = lost.shift();
    if (lostStatus !== undefined) {
      record.status = lostStatus;
      res.writeHead(lostStatus, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ error: 'injected failure after the server stored the batch' }));
      return;
    }
    record.status = upstream.status;
    res.writeHead(upstream.status, { ...upstream.headers, Connection: 'close' });
    res.end(upstream.body);
  }

  /** `GET /api/echo`: answers with what it received, as the dev and preview servers do (scripts/echo.js). */
  function echo(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const traceparent = req.headers.traceparent as string | undefined;
    apiRequests.push({ method: req.method ?? '', url: url.pathname + url.search, traceparent });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(echoBody(req));
  }

  async function staticFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const relative = normalize(path === '/' ? '/index.html' : path);
    const file = join(root, relative);
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const data = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : data);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/echo') return echo(req, res);
    (path === '/ingest' ? ingest(req, res) : staticFile(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { Connection: 'close' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    apiRequests,
    failNext(n, status = 503, headers = {}) {
      for (let i = 0; i < n; i++) failures.push({ status, headers });
    },
    loseResponses(n, status = 503) {
      for (let i = 0; i < n; i++) lost.push(status);
    },
    setDown(value) {
      down = value;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
