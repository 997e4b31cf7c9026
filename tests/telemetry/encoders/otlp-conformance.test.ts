// @vitest-environment node
/**
 * Conformance: the same records built as OpenTelemetry SDK objects and serialised by
 * @opentelemetry/otlp-transformer's JSON serialisers (the reference peer, PLATFORM.md) must give the
 * same OTLP JSON as our encoder, field by field, after one normalisation step listed in `normalise`.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, ValueType } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { otlpEncoder } from '../../../src/telemetry/encoders/otlp.js';
import { SCOPE } from '../../../src/telemetry/encoders/otlp-map.js';
import type { JsonValue } from '../../../src/telemetry/records.js';
import type { EncodableBatch } from '../../../src/telemetry/encoders/encoder.js';

type Batch = EncodableBatch['batch'];
import { mixedBatch, mixedPayload, RESOURCE, SESSION, T0 } from './fixtures.js';

const SEVERITY = { debug: 5, info: 9, warn: 13, error: 17 } as const;
const resource = resourceFromAttributes({
  'service.name': RESOURCE.app,
  'service.version': RESOURCE.version,
  'session.id': SESSION,
});

async function referenceLogs(batch: Batch): Promise<unknown> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger(SCOPE.name, SCOPE.version);
  for (const log of batch.logs) {
    const context =
      log.traceId && log.spanId
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: log.traceId,
            spanId: log.spanId,
            traceFlags: TraceFlags.SAMPLED,
          })
        : ROOT_CONTEXT;
    const attributes: Record<string, JsonValue> = { ...log.context };
    if (log.url) attributes['url.full'] = log.url;
    if (log.exception) {
      attributes['exception.type'] = log.exception.type;
      attributes['exception.message'] = log.exception.message;
      if (log.exception.stack) attributes['exception.stacktrace'] = log.exception.stack;
    }
    logger.emit({
      timestamp: log.timestamp,
      severityNumber: SEVERITY[log.level],
      severityText: log.level.toUpperCase(),
      body: log.message,
      attributes: attributes,
      context,
    });
  }
  await provider.forceFlush();
  return decode(JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords()) ?? new Uint8Array());
}

async function referenceTraces(batch: Batch): Promise<unknown> {
  const exporter = new InMemorySpanExporter();
  const ids = { traceId: '', spanId: '' };
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    idGenerator: { generateTraceId: () => ids.traceId, generateSpanId: () => ids.spanId },
  });
  const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
  for (const span of batch.traces) {
    Object.assign(ids, { traceId: span.traceId, spanId: span.spanId });
    const parent = span.parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: span.traceId,
          spanId: span.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
        })
      : ROOT_CONTEXT;
    const kind = 'http.method' in span.attributes ? SpanKind.CLIENT : SpanKind.INTERNAL;
    const sdkSpan = tracer.startSpan(
      span.name,
      { kind, startTime: span.timestamp, attributes: span.attributes as never },
      parent,
    );
    if (span.status)
      sdkSpan.setStatus({ code: span.status === 'ok' ? SpanStatusCode.OK : SpanStatusCode.ERROR });
    sdkSpan.end(span.timestamp + span.duration);
  }
  await provider.forceFlush();
  return decode(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans()) ?? new Uint8Array());
}

function referenceMetrics(batch: Batch): unknown {
  const names = [...new Set(batch.metrics.map((m) => m.name))];
  const hr = (ms: number): [number, number] => [Math.trunc(ms / 1000), Math.round((ms % 1000) * 1e6)];
  const data: ResourceMetrics = {
    resource,
    scopeMetrics: [
      {
        scope: { name: SCOPE.name, version: SCOPE.version },
        metrics: names.map((name) => ({
          descriptor: {
            name,
            description: '',
            unit: '',
            valueType: ValueType.DOUBLE,
            type: InstrumentType.GAUGE,
          },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.GAUGE,
          dataPoints: batch.metrics
            .filter((m) => m.name === name)
            .map((m) => ({
              startTime: hr(m.timestamp),
              endTime: hr(m.timestamp),
              attributes: m.labels as never,
              value: m.value,
            })),
        })),
      },
    ],
  };
  return decode(JsonMetricsSerializer.serializeRequest(data) ?? new Uint8Array());
}

const decode = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/**
 * What may differ, and why it does not matter to a receiver:
 * - proto3 JSON leaves out default values (0, '', [], an empty message); the SDK writes some out.
 * - int64 `intValue` is a decimal string in the proto JSON mapping; the SDK writes a number
 *   (receivers accept both). Compared as strings.
 * - `flags` (W3C trace flags plus OTLP remote bits) and `observedTimeUnixNano`: our records carry no
 *   sampling flags, and the collector sets the observed time on receipt; we send neither.
 * - gauge `startTimeUnixNano` is optional for gauges and we send none.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'flags' || key === 'observedTimeUnixNano') continue;
    // Spans have both times; a data point's start time is the optional one.
    if (key === 'startTimeUnixNano' && !('endTimeUnixNano' in value)) continue;
    const v = key === 'intValue' ? String(raw) : normalise(raw);
    const empty =
      v === undefined ||
      v === 0 ||
      v === '' ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (!empty) out[key] = v;
  }
  return out;
}

describe('OTLP encoder conformance with @opentelemetry/otlp-transformer', () => {
  const encoder = otlpEncoder({ endpoint: 'https://collector.example.com' });
  const requests = encoder.encode(mixedBatch(), { sentAt: T0 + 100 });
  const ours = (path: string): unknown => JSON.parse(requests.find((r) => r.url.endsWith(path))!.body);

  it('sends one request per kind to the collector paths', () => {
    expect(requests.map((r) => r.url)).toEqual([
      'https://collector.example.com/v1/logs',
      'https://collector.example.com/v1/traces',
      'https://collector.example.com/v1/metrics',
    ]);
  });

  it('logs match field by field', async () => {
    expect(normalise(ours('/v1/logs'))).toEqual(normalise(await referenceLogs(mixedPayload())));
  });

  it('traces match field by field', async () => {
    expect(normalise(ours('/v1/traces'))).toEqual(normalise(await referenceTraces(mixedPayload())));
  });

  it('metrics match field by field', () => {
    expect(normalise(ours('/v1/metrics'))).toEqual(normalise(referenceMetrics(mixedPayload())));
  });

  it('the normalisation does not hide a real difference', async () => {
    const changed = mixedPayload();
    changed.logs[1]!.timestamp += 1;
    expect(normalise(ours('/v1/logs'))).not.toEqual(normalise(await referenceLogs(changed)));
    const reference = (await referenceTraces(mixedPayload())) as {
      resourceSpans: { scopeSpans: { spans: object[] }[] }[];
    };
    const span = reference.resourceSpans[0]!.scopeSpans[0]!.spans[1] as Record<string, unknown>;
    span.kind = 1;
    expect(normalise(ours('/v1/traces'))).not.toEqual(normalise(reference));
  });
});
