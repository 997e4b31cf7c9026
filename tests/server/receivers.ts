/**
 * Local receivers for the export and forwarding tests, started on port 0: they decode what they
 * get (JSON, gzip or not) and can fail for a while, the way a collector or Loki that is down does.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { lokiProblems, otlpProblems } from './otlp-check.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The body as it came over the wire (decompressed). */
  text: string;
}

export interface ReceiverOptions {
  /** Answer this status (and Retry-After) instead of 200 while it returns one. */
  fail?: (request: number, path: string) => { status: number; retryAfter?: string } | undefined;
}

export interface Receiver {
  url: string;
  /** Requests answered 2xx, decoded. */
  accepted: Received[];
  /** Every request seen, accepted or not. */
  seen: number;
  /** OTLP (/v1/*) or Loki push rule violations found (those requests were answered 400, as the real ones do). */
  violations: string[];
  close(): Promise<void>;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const receiver = { accepted: [] as Received[], seen: 0, violations: [] as string[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = receiver.seen++;
      const path = req.url ?? '/';
      const failure = options.fail?.(n, path);
      if (failure) {
        res.writeHead(failure.status, failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {});
        res.end('{"message":"unavailable"}');
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const text = raw.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      const problems = path.startsWith('/v1/')
        ? otlpProblems(path, body)
        : path === '/loki/api/v1/push'
          ? lokiProblems(body)
          : [];
      if (problems.length) {
        receiver.violations.push(...problems);
        res.writeHead(400).end(problems.join('; '));
        return;
      }
      receiver.accepted.push({ path, headers: req.headers, body, text });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** OTLP log records, spans or data points in an accepted export request, flattened. */
export function otlpItems(body: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const b = body as Record<string, { scopeLogs?: never; scopeSpans?: never; scopeMetrics?: never }[]>;
  for (const rl of b.resourceLogs ?? [])
    for (const s of (rl.scopeLogs ?? []) as { logRecords: never[] }[]) out.push(...s.logRecords);
  for (const rs of b.resourceSpans ?? [])
    for (const s of (rs.scopeSpans ?? []) as { spans: never[] }[]) out.push(...s.spans);
  for (const rm of b.resourceMetrics ?? [])
    for (const s of (rm.scopeMetrics ?? []) as { metrics: { gauge: { dataPoints: never[] } }[] }[])
      for (const m of s.metrics) out.push(...m.gauge.dataPoints);
  return out;
}
