/**
 * A fault-injecting HTTP proxy between the demo app's server and the real ingest server, driven step
 * by step from a test: it answers chosen batches itself (503, 429 with Retry-After, 400), or stops a
 * request half-way through its body or after the server answered, so the test can kill or restart the
 * server at exactly that point. When the server cannot be reached or drops the connection, the proxy
 * drops its own connection too, so the browser sees what it would see talking to the server directly
 * (the app server passes the reset on: `upstreamFailure: 'reset'`).
 *
 * It sits behind the app server, so it sees every send, those made with keepalive while a page goes
 * away included (page.route cannot).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request that reached the proxy. */
export interface ProxyRequest {
  /** Arrival order, from 0. */
  index: number;
  /** When it arrived (epoch ms). */
  at: number;
  batchId: string | undefined;
  /** Messages of the batch's logs. */
  messages: string[];
  /** Events of every kind in the batch. */
  events: number;
  /** Body bytes as sent (gzip or not). */
  bytes: number;
  /** Sent as the page went away: keepalive, `text/plain`, the token in the body. */
  unload: boolean;
  /**
   * What became of it: answered by the proxy (`injected`), answered by the server (`forwarded`), its
   * connection dropped (`reset`), or not settled yet (`pending`).
   */
  outcome: 'pending' | 'injected' | 'forwarded' | 'reset';
  /** The status the browser got; 0 while pending or when the connection was dropped. */
  status: number;
}

export type Match = (request: ProxyRequest) => boolean;

/** A request stopped by `hold()`. */
export interface Held {
  request: ProxyRequest;
  /** Carries on: sends the rest of the body, or passes the server's answer on. */
  release: () => void;
  /** Drops the browser's connection (and the server's, if still open). */
  reset: () => void;
}

/**
 * Where `hold()` stops a request: `mid-body` after sending the server the headers and half of the
 * body (nothing stored yet); `answered` once the server has answered (the batch is stored), before the
 * answer is passed on.
 */
export type HoldStage = 'mid-body' | 'answered';

export interface FaultProxy {
  url: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly ProxyRequest[];
  /** Answers the next `times` matching requests with `status` and `headers`, without forwarding them. */
  inject(status: number, options?: { headers?: Record<string, string>; times?: number; match?: Match }): void;
  /** Stops the next matching request at `stage`; resolves once one is stopped there. */
  hold(stage: HoldStage, match?: Match): Promise<Held>;
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function describe(index: number, body: Buffer, req: IncomingMessage): ProxyRequest {
  const encoding = req.headers['content-encoding'];
  let batch: Record<string, unknown> = {};
  try {
    batch = JSON.parse((encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8')) as typeof batch;
  } catch {
    // not a native batch: matched by nothing but a catch-all
  }
  const list = (key: string): Record<string, unknown>[] =>
    Array.isArray(batch[key]) ? (batch[key] as Record<string, unknown>[]) : [];
  return {
    index,
    at: Date.now(),
    batchId: typeof batch.batchId === 'string' ? batch.batchId : undefined,
    messages: list('logs').map((l) => String(l.message)),
    events: list('logs').length + list('traces').length + list('metrics').length,
    bytes: body.length,
    unload: (req.headers['content-type'] ?? '').startsWith('text/plain'),
    outcome: 'pending',
    status: 0,
  };
}

/** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (the ingest server's base URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const requests: ProxyRequest[] = [];
  const rules: { status: number; headers: Record<string, string>; times: number; match: Match }[] = [];
  const holds: { stage: HoldStage; match: Match; resolve: (held: Held) => void }[] = [];

  function takeHold(stage: HoldStage, record: ProxyRequest) {
    const i = holds.findIndex((h) => h.stage === stage && h.match(record));
    return i < 0 ? undefined : holds.splice(i, 1)[0];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const record = describe(requests.length, body, req);
    requests.push(record);
    const dropped = (): void => {
      record.outcome = 'reset';
      record.status = 0;
      req.socket.destroy();
    };

    const rule = rules.find((r) => r.times > 0 && r.match(record));
    if (rule) {
      rule.times--;
      record.outcome = 'injected';
      record.status = rule.status;
      res.writeHead(rule.status, {
        ...rule.headers,
        'Content-Type': 'application/json',
        Connection: 'close',
      });
      res.end(JSON.stringify({ error: 'injected by the fault proxy' }));
      return;
    }

    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers.host;
    delete headers.connection;
    const upstream = httpRequest(new URL(req.url ?? '/ingest', target), {
      method: req.method,
      headers,
      agent: false,
    });
    const answered = new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>(
      (resolve, reject) => {
        upstream.on('response', (response) => {
          readAll(response).then((data) => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(response.headers))
              if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k))
                out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: response.statusCode ?? 502, headers: out, body: data });
          }, reject);
        });
        upstream.on('error', reject);
      },
    );
    // Settled below; an unhandled rejection here would crash the test worker.
    answered.catch(() => undefined);

    const midBody = takeHold('mid-body', record);
    if (midBody) {
      const half = Math.floor(body.length / 2);
      upstream.write(body.subarray(0, half));
      // The server has the connection and the first half before the test acts (or it was unreachable).
      await new Promise<void>((resolve) => {
        upstream.once('error', () => resolve());
        upstream.once('socket', (s) => (s.connecting ? s.once('connect', () => resolve()) : resolve()));
      });
      midBody.resolve({
        request: record,
        release: () => upstream.end(body.subarray(half)),
        reset: () => {
          upstream.destroy();
          dropped();
        },
      });
    } else {
      upstream.end(body);
    }

    let answer;
    try {
      answer = await answered;
    } catch {
      // Refused, or the server went away mid-request.
      return dropped();
    }
    const pass = (): void => {
      if (req.socket.destroyed) return;
      record.outcome = 'forwarded';
      record.status = answer.status;
      res.writeHead(answer.status, { ...answer.headers, Connection: 'close' });
      res.end(answer.body);
    };
    const afterAnswer = takeHold('answered', record);
    if (afterAnswer) afterAnswer.resolve({ request: record, release: pass, reset: dropped });
    else pass();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject(status, { headers = {}, times = 1, match = () => true } = {}) {
      rules.push({ status, headers, times, match });
    },
    hold(stage, match = () => true) {
      return new Promise((resolve) => holds.push({ stage, match, resolve }));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
