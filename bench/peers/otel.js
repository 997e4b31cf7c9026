// OpenTelemetry JS as the peers bench uses it: one provider per signal with its batching processor
// or reader and the OTLP/HTTP JSON exporter at the local collector (/v1/logs, /v1/metrics,
// /v1/traces); every other setting at its default (logs: queue 2,048, batches of 512 every 1 s;
// spans: the same every 5 s; metrics: exported every 60 s).
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web';

/** @typedef {import('./types.js').Adapter} Adapter */

/**
 * @param {string} base collector base URL of this run
 * @returns {Adapter}
 */
export function start(base) {
  const resource = resourceFromAttributes({ 'service.name': 'bench', 'service.version': '1.0.0' });
  const logs = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }) })],
  });
  const metrics = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }) }),
    ],
  });
  const traces = new WebTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }))],
  });
  traces.register();
  const logger = logs.getLogger('bench');
  const meter = metrics.getMeter('bench');
  const tracer = traces.getTracer('bench');
  /** @type {Map<string, import('@opentelemetry/api').Gauge>} */
  const gauges = new Map();
  return {
    log(level, message, context) {
      logger.emit({
        severityNumber: level === 'warn' ? 13 : 9,
        severityText: level.toUpperCase(),
        body: message,
        attributes: context,
      });
    },
    metric(name, value) {
      let g = gauges.get(name);
      if (!g) gauges.set(name, (g = meter.createGauge(name)));
      g.record(value);
    },
    span(name, durationMs) {
      const end = Date.now();
      tracer.startSpan(name, { startTime: end - durationMs }).end(end);
    },
    flush: () => Promise.all([logs.forceFlush(), metrics.forceFlush(), traces.forceFlush()]),
  };
}
