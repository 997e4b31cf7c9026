// @vitest-environment node
// The peers bench counts each library's events by reading its request bodies (bench/peers/decode.js):
// these bodies are shaped as each library sends them, and the counts must match what they carry.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, formatOf } from '../../bench/peers/decode.js';
import { withPeersSection } from '../../bench/peers/report.js';

const bench = (q: number) => ({ kind: 'log', name: 'Quiz answered', question: q });

describe('formatOf', () => {
  it('tells each library by its path', () => {
    expect(formatOf('/collect')).toBe('faro');
    expect(formatOf('/v1/logs')).toBe('otlp-logs');
    expect(formatOf('/i/v1/logs')).toBe('otlp-logs');
    expect(formatOf('/i/v1/metrics')).toBe('otlp-metrics');
    expect(formatOf('/v1/traces')).toBe('otlp-traces');
    expect(formatOf('/api/1/envelope/')).toBe('sentry');
    expect(formatOf('/e/')).toBe('posthog-events');
    expect(formatOf('/i/v0/e/')).toBe('posthog-events');
    expect(formatOf('/ingest')).toBe('native');
    expect(formatOf('/flags/')).toBeUndefined();
    expect(formatOf('/array/key/config.js')).toBeUndefined();
  });
});

describe('decode', () => {
  it("reads Faro's logs (string context), measurements, events and OTLP traces", () => {
    const body = {
      meta: {},
      logs: [
        { message: 'Quiz answered', level: 'info', context: { question: '7' } },
        { message: 'Quiz answered', level: 'warn', context: { question: '8' } },
      ],
      measurements: [{ type: 'bench_kinds', values: { value: 1 } }],
      events: [{ name: 'session_start' }],
      traces: { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }] }] },
    };
    expect(decode('faro', Buffer.from(JSON.stringify(body)))).toEqual([
      bench(7),
      bench(8),
      { kind: 'metric', name: 'bench_kinds' },
      { kind: 'event', name: 'session_start' },
      { kind: 'span', name: 'a' },
      { kind: 'span', name: 'b' },
    ]);
  });

  it('reads OTLP/HTTP JSON logs (intValue as a string) and metric data points, gzip or not', () => {
    const logs = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  body: { stringValue: 'Quiz answered' },
                  attributes: [{ key: 'question', value: { intValue: '3' } }],
                },
                { body: { stringValue: 'other' }, attributes: [] },
              ],
            },
          ],
        },
      ],
    };
    expect(decode('otlp-logs', gzipSync(JSON.stringify(logs)))).toEqual([
      bench(3),
      { kind: 'log', name: 'other' },
    ]);
    const metrics = {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{}, {}] } }] }] }],
    };
    expect(decode('otlp-metrics', Buffer.from(JSON.stringify(metrics)))).toHaveLength(2);
  });

  it('walks a Sentry envelope by item lengths, even when a payload holds a newline', () => {
    const logPayload = JSON.stringify({
      items: [
        { body: 'Quiz answered', attributes: { question: { value: 1, type: 'integer' } } },
        { body: 'Quiz answered', attributes: { question: { value: 2, type: 'integer' } } },
      ],
    });
    const event = JSON.stringify({ message: 'two\nlines' });
    const txn = JSON.stringify({ transaction: 'root', spans: [{ description: 'child' }] });
    const envelope = [
      JSON.stringify({ sent_at: 'now' }),
      JSON.stringify({ type: 'event', length: Buffer.byteLength(event) }),
      event,
      JSON.stringify({ type: 'log', item_count: 2 }),
      logPayload,
      JSON.stringify({ type: 'transaction' }),
      txn,
      '',
    ].join('\n');
    expect(decode('sentry', Buffer.from(envelope))).toEqual([
      { kind: 'event', name: 'two\nlines' },
      bench(1),
      bench(2),
      { kind: 'span', name: 'root' },
      { kind: 'span', name: 'child' },
    ]);
  });

  it("reads PostHog's events as JSON, base64 form and gzip, spans by their $span property", () => {
    const events = [
      { event: '$pageview', properties: {} },
      { event: 'bench.kinds', properties: { $span: true } },
    ];
    const expected = [
      { kind: 'event', name: '$pageview' },
      { kind: 'span', name: 'bench.kinds' },
    ];
    const json = JSON.stringify(events);
    expect(decode('posthog-events', Buffer.from(json))).toEqual(expected);
    const form = `data=${encodeURIComponent(Buffer.from(json).toString('base64'))}`;
    expect(decode('posthog-events', Buffer.from(form))).toEqual(expected);
    expect(decode('posthog-events', gzipSync(json))).toEqual(expected);
  });

  it('reads our native batches', () => {
    const body = {
      batchId: 'b',
      logs: [{ message: 'Quiz answered', context: { question: 0 } }],
      metrics: [{ name: 'm', value: 1 }],
      traces: [{ name: 's' }],
    };
    expect(decode('native', gzipSync(JSON.stringify(body)))).toEqual([
      bench(0),
      { kind: 'metric', name: 'm' },
      { kind: 'span', name: 's' },
    ]);
  });
});

describe('withPeersSection', () => {
  it('replaces the section, TODO heading included, and keeps the sections around it', () => {
    const md = '# B\n\n## A\n\na\n\n## Peers side by side: TODO\n\nold\n\n## Reproduce\n\nr\n';
    const out = withPeersSection(md, '## Peers side by side\n\nnew\n');
    expect(out).toBe('# B\n\n## A\n\na\n\n## Peers side by side\n\nnew\n\n## Reproduce\n\nr\n');
    expect(withPeersSection(out, '## Peers side by side\n\nnewer\n')).toContain('newer\n\n## Reproduce');
  });
});
