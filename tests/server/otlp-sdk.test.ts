// @vitest-environment node
// The real OpenTelemetry JS SDK and its OTLP/HTTP JSON exporters send logs, spans and metrics to
// the ingest server; the stored lines are checked field by field.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, items, NOW, serve } from './harness.js';

afterEach(cleanup);

const TOKEN = 'otlp-secret';
const resource = resourceFromAttributes({ 'service.name': 'quiz', 'service.version': '1.4.2' });
const exporterOptions = (url: string, path: string) => ({
  url: `${url}${path}`,
  headers: { 'X-Telemetry-Token': TOKEN },
});
const received = { received_at: new Date(NOW).toISOString(), session_id: null, anonymous_id: null };

describe('OTLP/HTTP JSON from the OpenTelemetry JS SDK', () => {
  it('stores log records with level, message, attributes, ids, resource and scope', async () => {
    const server = await serve({ token: TOKEN });
    const provider = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporter(exporterOptions(server.url, '/v1/logs')),
        }),
      ],
    });
    const logger = provider.getLogger('quiz-ui', '2.0.0');
    const timestamp = Date.parse('2026-03-15T11:59:59.250Z');
    logger.emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'Answer took long',
      attributes: { question: 7, slow: true, topic: 'Math' },
      timestamp,
    });
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'Failed to save', timestamp });
    await provider.forceFlush();
    await provider.shutdown();

    const stored = await items(server.dataDir, 'logs');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toEqual({
      timestamp,
      level: 'warn',
      message: 'Answer took long',
      context: { question: 7, slow: true, topic: 'Math' },
      severityNumber: 13,
      severityText: 'WARN',
      resource: expect.objectContaining({ 'service.name': 'quiz', 'service.version': '1.4.2' }) as unknown,
      scope: { name: 'quiz-ui', version: '2.0.0' },
      batch_id: expect.stringMatching(/^otlp-/) as unknown,
      ...received,
    });
    expect(stored[1]).toMatchObject({ level: 'error', message: 'Failed to save', severityNumber: 17 });
  });

  it('stores spans with hex ids, parent, duration, kind, status, attributes and events', async () => {
    const server = await serve({ token: TOKEN });
    const provider = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter(exporterOptions(server.url, '/v1/traces'))),
      ],
    });
    const tracer = provider.getTracer('quiz-router', '3.1.0');
    const start = Date.parse('2026-03-15T11:59:58.000Z');
    const parent = tracer.startSpan('load quiz', { startTime: start, attributes: { quiz: 42 } });
    const { trace, context } = await import('@opentelemetry/api');
    const child = tracer.startSpan(
      'fetch questions',
      { startTime: start + 5, kind: 2 },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('cache miss', { key: 'q42' }, start + 6);
    child.setStatus({ code: 2, message: 'HTTP 503' });
    child.end(start + 45.5);
    parent.end(start + 120);
    await provider.forceFlush();
    await provider.shutdown();

    const stored = await items(server.dataDir, 'traces');
    expect(stored).toHaveLength(2);
    const [c, p] = stored as [Record<string, unknown>, Record<string, unknown>];
    expect(p).toEqual({
      timestamp: start,
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      name: 'load quiz',
      duration: 120,
      kind: 1,
      attributes: { quiz: 42 },
      status: { code: 0 },
      events: [],
      resource: expect.objectContaining({ 'service.name': 'quiz' }) as unknown,
      scope: { name: 'quiz-router', version: '3.1.0' },
      batch_id: expect.stringMatching(/^otlp-/) as unknown,
      ...received,
    });
    expect(c).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      name: 'fetch questions',
      timestamp: start + 5,
      duration: 40.5,
      kind: 3,
      status: { code: 2, message: 'HTTP 503' },
      events: [{ name: 'cache miss', timestamp: start + 6, attributes: { key: 'q42' } }],
    });
    expect(String(c.traceId)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stores metric data points: counter, gauge and histogram', async () => {
    const server = await serve({ token: TOKEN });
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(exporterOptions(server.url, '/v1/metrics')),
      exportIntervalMillis: 60_000,
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('quiz-vitals', '1.0.0');
    meter.createCounter('answers', { unit: '{answer}' }).add(3, { correct: true });
    meter.createGauge('LCP', { unit: 'ms' }).record(1234.5, { page: '/quiz' });
    const histogram = meter.createHistogram('fetch.duration', { unit: 'ms' });
    for (const ms of [10, 20, 300]) histogram.record(ms);
    await provider.forceFlush();
    await provider.shutdown();

    const stored = await items(server.dataDir, 'metrics');
    const byName: Record<string, Record<string, unknown>> = Object.fromEntries(
      stored.map((m) => [String(m.name), m]),
    );
    expect(Object.keys(byName).sort()).toEqual(['LCP', 'answers', 'fetch.duration']);
    expect(byName.answers).toMatchObject({
      value: 3,
      labels: { correct: true },
      type: 'sum',
      unit: '{answer}',
      temporality: 2,
      monotonic: true,
      scope: { name: 'quiz-vitals', version: '1.0.0' },
      resource: expect.objectContaining({ 'service.name': 'quiz' }) as unknown,
    });
    expect(byName.LCP).toMatchObject({ value: 1234.5, labels: { page: '/quiz' }, type: 'gauge', unit: 'ms' });
    expect(byName['fetch.duration']).toMatchObject({
      value: 330,
      count: 3,
      min: 10,
      max: 300,
      type: 'histogram',
      labels: {},
    });
    for (const m of stored) expect(typeof m.timestamp).toBe('number');
  });
});
