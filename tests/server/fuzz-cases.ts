/**
 * Requests for the ingest fuzz (fuzz-requests.test.ts): valid batches, and malformed requests with
 * exactly one fault each, so the status they must get is known. Deterministic for a seed.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import type { Kind } from '../../src/telemetry/records.js';
import {
  int,
  nestedText,
  pick,
  randJson,
  randNumber,
  randString,
  validLog,
  validMetric,
  validTrace,
  type Json,
  type Rand,
} from './fuzz-values.js';

export interface FuzzCase {
  /** Category, for the report. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Statuses that are right for it. */
  expect: number[];
  /** A valid batch: what must be on disk once, whatever the number of sends. */
  valid?: { batchId: string; items: Record<Kind, Json[]>; compare: boolean };
  /** How it travels: a normal request, a body written in pieces, a body that stops, or raw bytes. */
  send?: 'slow' | 'stall' | 'raw';
}

export const MAX_BODY = 32 * 1024;
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** A valid native body, and the drop points the store adds to its metrics. */
function validBody(rand: Rand, batchId: string, most = 8) {
  const sentAt = new Date(0).toISOString();
  const body: Record<string, Json> = {
    batchId,
    sentAt,
    logs: Array.from({ length: int(rand, most) }, () => validLog(rand)),
    traces: Array.from({ length: int(rand, most >> 1) }, () => validTrace(rand)),
    metrics: Array.from({ length: int(rand, most >> 1) }, () => validMetric(rand)),
  };
  if (rand() < 0.8) body.session = rand() < 0.9 ? { id: randString(rand) } : {};
  if (rand() < 0.8) body.resource = { app: randString(rand), version: '1.0.0', extra: randJson(rand, 2) };
  const drops: Json[] = [];
  if (rand() < 0.1) {
    body.dropped = { queue_full: 3, storm: 0 };
    drops.push({
      timestamp: sentAt,
      name: 'telemetry_dropped',
      value: 3,
      labels: { reason: 'queue_full' },
    });
  }
  return { body, drops };
}

/** Every field the server checks, with a value it must refuse. */
const WRONG: [(b: Record<string, unknown>, rand: Rand) => void, string][] = [
  [(b, rand) => (b.batchId = pick(rand, [1, null, [], {}, true])), 'batchId type'],
  [(b) => (b.batchId = '../etc'), 'batchId pattern'],
  [(b) => (b.batchId = 'x'.repeat(129)), 'batchId length'],
  [(b) => delete b.batchId, 'batchId missing'],
  [(b) => (b.session = 'abc'), 'session'],
  [(b) => (b.session = { id: 5 }), 'session.id'],
  [(b) => (b.resource = ['app']), 'resource'],
  [(b) => (b.logs = { 0: {} }), 'logs'],
  [(b) => (b.traces = 'x'), 'traces'],
  [(b) => (b.metrics = null), 'metrics'],
  [(b) => (b.logs = [null]), 'log item'],
  [(b) => (b.logs = [{ level: 'INFO', message: 'm' }]), 'log level'],
  [(b) => (b.logs = [{ level: 'info', message: { text: 'm' } }]), 'log message'],
  [(b) => (b.metrics = [{ name: 1, value: 1 }]), 'metric name'],
  [(b) => (b.metrics = [{ name: 'm', value: '1' }]), 'metric value'],
  [(b) => (b.traces = [{ traceId: 'a', spanId: 'b', name: 'n', duration: null }]), 'trace duration'],
  [(b) => (b.traces = [{ traceId: 1, spanId: 'b', name: 'n', duration: 1 }]), 'trace id'],
  [(b) => (b.dropped = ['queue_full']), 'dropped'],
  [(b) => (b.dropped = { queue_full: -1 }), 'dropped count'],
  [(b) => (b.dropped = { 'bad reason': 1 }), 'dropped reason'],
];

/** Changes to JSON text that no parser accepts. */
const BREAK: ((t: string, rand: Rand) => string)[] = [
  (t, rand) => t.slice(0, 1 + int(rand, t.length - 1)),
  (t, rand) => t + pick(rand, ['x', ',', '}', ']', '{', 'null']),
  (t, rand) => pick(rand, ['x', '[', '1', '"', ',']) + t,
  (t) => t.replace(':', ';'),
  (t) => t.replaceAll('"', "'"),
  (t) => t.replace('"logs":[', '"logs":[NaN,'),
  (t) => t.replace('{', '{/* c */'),
  (t) => t.replace(/"batchId":"/, '"batchId":"\u0001'),
  (t) => t.replace(/"batchId":"/, '"batchId":"\n'),
  (t) => `${t.slice(0, -1)},}`,
];

function request(
  kind: string,
  body: Buffer | string,
  expect: number[],
  extra: Partial<FuzzCase> = {},
): FuzzCase {
  return {
    kind,
    method: 'POST',
    path: '/ingest',
    headers: { ...JSON_TYPE },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    expect,
    ...extra,
  };
}

function otlpLogs(rand: Rand, records: number): Record<string, Json> {
  const logRecords = Array.from({ length: records }, () => ({
    timeUnixNano: String(int(rand, 2 ** 52)),
    severityNumber: 1 + int(rand, 24),
    body: { stringValue: randString(rand) },
    attributes: [{ key: randString(rand, 5), value: { intValue: String(randNumber(rand) | 0) } }],
  }));
  return {
    resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 's' }, logRecords }] }],
  };
}

/** The object at `path` inside `value` (the cases know their shape). */
function dig(value: unknown, ...path: (string | number)[]): Record<string, unknown> {
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value as Record<string, unknown>;
}
const scope = (o: unknown) => dig(o, 'resourceLogs', 0, 'scopeLogs', 0);
const record = (o: unknown) => dig(scope(o), 'logRecords', 0);

const OTLP_WRONG: ((o: Record<string, unknown>) => void)[] = [
  (o) => (o.resourceLogs = {}),
  (o) => (dig(o, 'resourceLogs', 0).scopeLogs = 'x'),
  (o) => (scope(o).logRecords = [7]),
  (o) => (record(o).severityNumber = 'high'),
  (o) => (record(o).timeUnixNano = '-1'),
  (o) => (record(o).traceId = 'AAECAwQFBgcICQoLDA0ODw=='),
  (o) => (record(o).attributes = [{ key: 1 }]),
  (o) => (record(o).body = 'plain'),
  (o) => (dig(o, 'resourceLogs', 0).resource = []),
];

/**
 * Cases until `malformed` malformed ones were made, with valid batches among them (some sent more
 * than once). `token` is the server's.
 */
export function generateCases(rand: Rand, malformed: number, token: string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const auth = { 'X-Telemetry-Token': token };
  let bad = 0;
  let n = 0;
  const add = (...added: FuzzCase[]): void => {
    for (const c of added) {
      // A header given as undefined is one the case leaves out.
      c.headers = Object.fromEntries(
        Object.entries({ ...auth, ...c.headers }).filter(([, v]) => v !== undefined),
      );
      cases.push(c);
      if (!c.valid) bad++;
    }
  };
  while (bad < malformed) {
    const id = `f${n++}`;
    const r = rand();
    if (r < 0.2) {
      add(...validCase(rand, id, token));
      continue;
    }
    // A malformed request needs a body to break, not a big one.
    const { body } = validBody(rand, `bad-${id}`, 3);
    const text = JSON.stringify(body);
    const c = int(rand, 20);
    if (c === 0) add(request('bad json', pick(rand, BREAK)(text, rand), [400]));
    else if (c === 1) {
      const bytes = Buffer.from(Array.from({ length: int(rand, 300) }, () => int(rand, 256)));
      add(request('random bytes', bytes, [400]));
    } else if (c === 2 || c === 3) {
      const [change, what] = pick(rand, WRONG);
      const copy = JSON.parse(text) as Record<string, unknown>;
      change(copy, rand);
      add(request(`wrong type: ${what}`, JSON.stringify(copy), [400]));
    } else if (c === 4) {
      // A number JSON.parse reads as Infinity where the server needs a finite one.
      const huge = pick(rand, ['1e999', '-1e400', '1E+309', '9'.repeat(400)]);
      const copy = {
        ...body,
        metrics: [{ name: 'm', value: 123.25 }],
        traces: [{ traceId: 't', spanId: 's', name: 'n', duration: 123.25 }],
      };
      const field = pick(rand, ['"value":123.25', '"duration":123.25']);
      add(request('huge number', JSON.stringify(copy).replace(field, field.replace('123.25', huge)), [400]));
    } else if (c === 5) {
      const deep = text.replace('"sentAt":', `"deep":${nestedText(65 + int(rand, 3000))},"sentAt":`);
      add(request('deep nesting', deep, [400]));
    } else if (c === 6) {
      const type = pick(rand, [
        '',
        'application/xml',
        'text/html',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'application/jsonx',
      ]);
      add(request('content type', text, [415], { headers: type ? { 'Content-Type': type } : {} }));
    } else if (c === 7) {
      const encoding = pick(rand, ['br', 'compress', 'gzip, deflate', 'x-gzip', 'zstd', 'identity;q=0']);
      add(
        request('content encoding', text, [415], { headers: { ...JSON_TYPE, 'Content-Encoding': encoding } }),
      );
    } else if (c === 8) {
      // Only the chosen variant is compressed: zlib is most of the cost of making the cases.
      const [make, encoding] = pick(rand, [
        [() => Buffer.from(text), 'gzip'],
        [() => ((gz: Buffer) => gz.subarray(0, int(rand, gz.length)))(gzipSync(text)), 'gzip'],
        [() => gzipSync(randString(rand, 200)), 'gzip'],
        [() => deflateSync(text), 'gzip'],
        [() => gzipSync(text), 'deflate'],
        [() => gzipSync(gzipSync(text)), 'gzip'],
      ] as const);
      const bytes = make();
      add(
        request('bad compressed body', bytes, [400], {
          headers: { ...JSON_TYPE, 'Content-Encoding': encoding },
        }),
      );
    } else if (c === 9) {
      const what = pick(rand, ['declared', 'chunked', 'bomb']);
      const big = tooLarge().subarray(0, MAX_BODY + 1 + int(rand, 4096));
      if (what === 'bomb') {
        add(request('too large', bomb(), [413], { headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' } }));
      } else
        add(
          request(
            'too large',
            big,
            [413],
            what === 'chunked' ? { headers: { ...JSON_TYPE, 'Transfer-Encoding': 'chunked' } } : {},
          ),
        );
    } else if (c === 10) {
      add(request('too many items', tooMany(), [400]));
    } else if (c === 11) {
      const encoding = pick(rand, ['utf16le', 'utf16be', 'utf16le-bom'] as const);
      let bytes = Buffer.from(text, 'utf16le');
      if (encoding === 'utf16be') bytes = bytes.swap16();
      if (encoding === 'utf16le-bom') bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), bytes]);
      add(
        request('wrong charset', bytes, [400], {
          headers: { 'Content-Type': 'application/json; charset=utf-16' },
        }),
      );
    } else if (c === 12) {
      const method = pick(rand, ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD']);
      add(request('method', text, [405], { method, path: pick(rand, ['/ingest', '/v1/logs', '/']) }));
    } else if (c === 13) {
      add(
        request('route', text, [404], {
          path: pick(rand, [
            '/ingest/x',
            '/v1/log',
            '/INGEST',
            '/v2/logs',
            `/${randString(rand, 6).replace(/[^a-z]/g, '')}x`,
          ]),
        }),
      );
    } else if (c === 14) {
      const how = int(rand, 4);
      if (how === 0)
        add(request('auth', text, [401], { headers: { ...JSON_TYPE, 'X-Telemetry-Token': `${token}!` } }));
      else {
        const copy = JSON.parse(text) as Record<string, unknown>;
        if (how === 2) copy.token = pick(rand, [`${token}x`, 7, null, [token], '']);
        if (how === 3) copy.token = token.slice(1);
        add(
          request('auth', JSON.stringify(copy), [401], {
            headers: { ...JSON_TYPE, 'X-Telemetry-Token': undefined as never },
          }),
        );
      }
    } else if (c === 15) {
      const o = otlpLogs(rand, 1 + int(rand, 3));
      pick(rand, OTLP_WRONG)(o);
      add(request('otlp shape', JSON.stringify(o), [400], { path: '/v1/logs' }));
    } else if (c === 16) {
      const o = JSON.stringify(otlpLogs(rand, 1));
      const h = pick(rand, [
        [{ 'X-Batch-Id': '../x' }, 400],
        [{ 'X-Batch-Id': '' }, 400],
        [{ 'Content-Type': 'application/x-protobuf' }, 415],
        [{ 'Content-Type': 'text/plain' }, 415],
        [{ 'X-Telemetry-Token': undefined as never }, 401],
      ] as const);
      add(request('otlp request', o, [h[1]], { path: '/v1/traces', headers: { ...JSON_TYPE, ...h[0] } }));
    } else if (c === 17) {
      add(
        request(
          'body not an object',
          pick(rand, ['null', '[]', '7', '"x"', 'true', '', ' ', '\ufeff']),
          [400],
        ),
      );
    } else if (c === 18) {
      add(request('empty fields', JSON.stringify({ batchId: '' }), [400]));
    } else {
      add(
        request('dropped type', JSON.stringify({ ...body, dropped: pick(rand, ['x', 1, true, [1]]) }), [400]),
      );
    }
  }
  return cases;
}

/** A valid batch, sometimes with copies to resend. */
function validCase(rand: Rand, id: string, token: string): FuzzCase[] {
  const batchId = `ok-${id}`;
  if (rand() < 0.1) {
    const o = otlpLogs(rand, 1 + int(rand, 3));
    const records = scope(o).logRecords as Json[];
    const c = request('valid otlp', JSON.stringify(o), [200], {
      path: '/v1/logs',
      headers: { ...JSON_TYPE, 'X-Batch-Id': batchId },
      valid: { batchId, items: { logs: records, traces: [], metrics: [] }, compare: false },
    });
    return rand() < 0.3 ? [c, c] : [c];
  }
  const { body, drops } = validBody(rand, batchId);
  const style = int(rand, 8);
  if (style === 4) body.token = token; // an unload send: text/plain, the token in the body
  let text = style === 1 ? JSON.stringify(body, null, 2) : JSON.stringify(body);
  // A number JSON reads as Infinity, where the server checks nothing: stored as sent.
  if (style === 6) text = text.replace(/"timestamp":-?[0-9][^,}]*/, '"timestamp":1e999');
  const sent = JSON.parse(text) as Record<Kind, Json[]>;
  const items = { logs: sent.logs, traces: sent.traces, metrics: [...sent.metrics, ...drops] };
  const valid = { batchId, items, compare: true };
  const gzip = { ...JSON_TYPE, 'Content-Encoding': 'gzip' };
  let c: FuzzCase;
  if (style === 2) c = request('valid gzip', gzipSync(text), [200], { headers: gzip, valid });
  else if (style === 3) {
    c = request('valid deflate', deflateSync(text), [200], {
      headers: { ...JSON_TYPE, 'Content-Encoding': 'deflate' },
      valid,
    });
  } else if (style === 4) {
    const headers = { 'Content-Type': 'text/plain;charset=UTF-8', 'X-Telemetry-Token': undefined as never };
    c = request('valid text/plain', text, [200], { headers, valid });
  } else if (style === 5) {
    c = request('valid BOM', `\ufeff${text}`, [200], {
      path: pick(rand, ['/', '/v1/telemetry', '/ingest?x=1']),
      valid,
    });
  } else c = request(['valid', 'valid pretty'][style] ?? 'valid', text, [200], { valid });
  if (c.body.length > MAX_BODY) return validCase(rand, `${id}b`, token);
  const copies = rand() < 0.15 ? 1 + int(rand, 2) : 0;
  return Array.from({ length: copies + 1 }, () => c);
}

// Made once: the same bytes serve every case of their kind.
let tooLargeBytes: Buffer | undefined;
const tooLarge = (): Buffer => (tooLargeBytes ??= Buffer.alloc(MAX_BODY + 4096, 0x20));
let tooManyBytes: Buffer | undefined;
const tooMany = (): Buffer =>
  (tooManyBytes ??= Buffer.from(
    JSON.stringify({ batchId: 'bad-many', logs: Array.from({ length: 10_001 }, () => ({})) }),
  ));
let bombBytes: Buffer | undefined;
/** 8 times the limit of spaces, gzipped: a few kB on the wire. */
const bomb = (): Buffer => (bombBytes ??= gzipSync(Buffer.alloc(MAX_BODY * 8, 0x20)));
