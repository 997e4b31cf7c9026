// @vitest-environment node
// The fast path (scan-body.ts + byte-lines.ts) must store exactly the bytes the general path
// (JSON.parse, validateBody, item spans, lines.ts) stores, and refuse to decide whatever the general
// path refuses, so which path a body takes never shows. Checked on hand-picked bodies and on
// thousands of seeded one-byte mutations of them.
import { describe, expect, it } from 'vitest';
import { scannedTexts } from '../../src/server/byte-lines.js';
import { itemSpans } from '../../src/server/item-spans.js';
import { MAX_JSON_DEPTH, parseJson } from '../../src/server/json-body.js';
import { batchTexts, isSingleLine, type BatchTexts } from '../../src/server/lines.js';
import { bodyText } from '../../src/server/read-body.js';
import { scanBody } from '../../src/server/scan-body.js';
import { validateBody } from '../../src/server/validate.js';
import { encodeNative } from '../../src/telemetry/encoders/native.js';
import { KINDS } from '../../src/telemetry/records.js';
import { batch, NOW } from './harness.js';

/** What the general path stores for `bytes`, by kind as UTF-8, or undefined when it answers 400. */
function general(bytes: Buffer): Record<string, string> | undefined {
  const text = bodyText(bytes);
  const json = parseJson(text);
  if (!json.ok) return undefined;
  const result = validateBody(json.value);
  if (!result.ok) return undefined;
  const spans = isSingleLine(text) ? itemSpans(text) : undefined;
  return utf8(batchTexts(result.body, NOW, spans ? { text, spans } : undefined));
}

function fast(bytes: Buffer): Record<string, string> | undefined {
  const scanned = scanBody(bytes);
  return scanned && utf8(scannedTexts(scanned, NOW));
}

function utf8(texts: BatchTexts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of KINDS) {
    const text = texts[kind]?.text;
    if (text !== undefined) out[`${kind} ${texts[kind]!.count}`] = Buffer.from(text).toString('latin1');
  }
  return out;
}

/** The fast path either agrees with the general one byte for byte, or leaves the body to it. */
function expectAgreement(bytes: Buffer): 'fast' | 'general' {
  const mine = fast(bytes);
  if (mine === undefined) return 'general';
  expect(mine, bytes.toString('latin1')).toEqual(general(bytes));
  return 'fast';
}

/** `depth` arrays, one inside the other. */
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const client = JSON.stringify(batch('b1'));
const tricky = JSON.stringify({
  batchId: 'b-2_x',
  session: { id: 'ü "s" \\ 😀' },
  anonymousId: 'anon_1-x',
  resource: { app: 'q', nested: { logs: [{ level: 'info', message: 'not an item' }] } },
  dropped: { queue_full: 3, storm: 0 },
  sentAt: '2026-03-15T12:00:00.000Z',
  token: 'secret',
  logs: [
    {
      level: 'error',
      message: 'a "quoted" \\ {not: json} [x] ü 😀 \u2028 \u0001',
      context: { deep: [[[{}]]] },
    },
    { level: 'debug', message: '', n: -0.5e-3, t: true, f: false, z: null, e: [], o: {} },
  ],
  traces: [{ traceId: 'a', spanId: 'b', name: 'n', duration: 0, attributes: { x: 1e300 } }],
  metrics: [{ name: 'm', value: -12.5, labels: { a: 'b' } }],
  other: [{ level: 'bogus' }],
});

describe('the fast path of a native body', () => {
  it('takes compact client bodies, and stores what the general path stores', () => {
    expect(expectAgreement(Buffer.from(client))).toBe('fast');
    expect(expectAgreement(Buffer.from(tricky))).toBe('fast');
    expect(expectAgreement(Buffer.from(`\uFEFF${client}`))).toBe('fast');
    expect(expectAgreement(Buffer.from(' {"batchId":"x","logs":[]}\t'))).toBe('fast');
    // Items further apart than a line's head is long are copied another way (byte-lines.ts).
    const far = `{"batchId":"x","logs":[{"level":"info","message":"a"},${' '.repeat(300)}{"level":"warn","message":"b"}]}`;
    expect(expectAgreement(Buffer.from(far))).toBe('fast');
    // As deep as the general path allows.
    const deep = `{"batchId":"x","logs":[{"level":"info","message":"m","d":${nested(MAX_JSON_DEPTH - 3)}}]}`;
    expect(expectAgreement(Buffer.from(deep))).toBe('fast');
    expect(
      expectAgreement(Buffer.from('{"batchId":"x","logs":[{"message":"m","level":"info","level":"warn"}]}')),
    ).toBe('fast');
  });

  it('takes what the client encoder sends, exceptions and drop reports included', () => {
    const body = encodeNative(
      {
        batchId: 'k3j-2_a',
        batch: {
          sessionId: 'c0ffee00-1234-4abc-8def-0123456789ab',
          resource: { app: 'quiz', version: '1.4.2' },
          logs: [
            { timestamp: NOW, level: 'info', message: 'Quiz started', context: { topic: 'Math', n: 1 } },
            {
              timestamp: NOW,
              level: 'error',
              message: 'TypeError: x is undefined',
              context: {},
              url: 'https://app.example/quiz?id=4',
              exception: { type: 'TypeError', message: 'x is "undefined"', stack: 'at a (app.js:1:2)\nat b' },
            },
          ],
          traces: [
            {
              timestamp: NOW,
              traceId: 'a'.repeat(32),
              spanId: 'b'.repeat(16),
              parentSpanId: 'c'.repeat(16),
              name: 'checkout',
              duration: 12.5,
              attributes: { ok: true },
              status: 'ok',
            },
          ],
          metrics: [{ timestamp: NOW, name: 'web_vital_lcp', value: 1250, labels: { rating: 'good' } }],
          dropped: { queue_full: 2 },
        },
      },
      { sentAt: NOW },
    );
    expect(expectAgreement(Buffer.from(body))).toBe('fast');
  });

  it('leaves to the general path what it cannot be sure of', () => {
    const leaves = [
      JSON.stringify(batch('b1'), null, 2), // line breaks: not reused line by line
      '{"batchId":"x","lo\\u0067s":[{"level":"info","message":"m"}]}', // an escaped key
      '{"batchId":"x","logs":[{"level":"\\u0069nfo","message":"m"}]}', // an escaped level
      '{"batchId":"x","logs":[{"level":"info","message":"m","batch_id":"y"}]}', // a field of ours
      '{"batchId":"x","logs":[{"level":"info","message":"m","anonymous_id":"y"}]}',
      '{"batchId":"x","logs":[],"logs":[{"level":"info","message":"m"}]}', // a repeated kind
    ];
    for (const body of leaves) {
      expect(fast(Buffer.from(body)), body).toBeUndefined();
      expect(general(Buffer.from(body)), body).toBeDefined();
    }
    // Invalid UTF-8: the general path stores U+FFFD, which is not these bytes.
    const invalid = Buffer.concat([
      Buffer.from('{"batchId":"x","logs":[{"level":"info","message":"'),
      Buffer.from([0xff]),
      Buffer.from('"}]}'),
    ]);
    expect(fast(invalid)).toBeUndefined();
  });

  it('refuses whatever the general path refuses', () => {
    const refused = [
      '',
      '[]',
      '"x"',
      '{"batchId":"x",}',
      '{"batchId":"x","logs":[{"level":"info","message":"m"},]}',
      '{"batchId":"x","logs":[{"level":"info","message":"m"}]} x',
      '{"batchId":"x","logs":[{"level":"info","message":"m","n":01}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"m","n":1.}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"m","n":+1}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"m","n":tru}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"a\tb"}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"\\x"}]}',
      '{"batchId":"x","logs":[{"level":"info","message":"\\u12g4"}]}',
      '{"batchId":"x","logs":[{"level":"info"}]}',
      '{"batchId":"x","logs":[{"level":"fatal","message":"m"}]}',
      '{"batchId":"x","logs":[{"message":"m","level":"info","level":"nope"}]}',
      '{"batchId":"x","logs":[{}]}',
      '{"batchId":"x","logs":[1]}',
      '{"batchId":"x","logs":{}}',
      '{"batchId":"x","metrics":[{"name":"m","value":1e999}]}',
      '{"batchId":"x","metrics":[{"name":"m","value":"1"}]}',
      '{"batchId":"x","traces":[{"traceId":"a","spanId":"b","name":"n"}]}',
      '{"batchId":"x y","logs":[]}',
      '{"batchId":"x","session":{"id":1},"logs":[]}',
      '{"batchId":"x","dropped":{"a b":1},"logs":[]}',
      '{"batchId":"x","anonymousId":"a b","logs":[]}',
    ];
    // Nesting past the limit of the general path (json-body.ts): the envelope, the kind's array and
    // the item are 3 levels.
    refused.push(`{"batchId":"x","logs":[{"level":"info","message":"m","d":${nested(MAX_JSON_DEPTH - 2)}}]}`);
    for (const body of refused) {
      expect(general(Buffer.from(body)), body).toBeUndefined();
      expect(fast(Buffer.from(body)), body).toBeUndefined();
    }
  });

  it('agrees with the general path on thousands of one-byte mutations', () => {
    // A fixed seed: the same bodies every run.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = Buffer.from('{}[]",:\\ \t\n-+.0123456789eEtrufalsnu/bx\u00fc');
    const counts = { fast: 0, general: 0 };
    for (const source of [client, tricky]) {
      const original = Buffer.from(source);
      for (let n = 0; n < 2500; n++) {
        const bytes = Buffer.from(original);
        const at = random(bytes.length);
        const op = random(3);
        const byte = alphabet[random(alphabet.length)]!;
        let mutated: Buffer;
        if (op === 0) {
          bytes[at] = byte;
          mutated = bytes;
        } else if (op === 1) {
          mutated = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        } else {
          mutated = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
        }
        counts[expectAgreement(mutated)]++;
      }
    }
    // Both paths are exercised: most mutations land inside strings and stay valid.
    expect(counts.fast).toBeGreaterThan(1000);
    expect(counts.general).toBeGreaterThan(1000);
  });
});
