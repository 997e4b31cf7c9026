/**
 * The client speaking OTLP/HTTP JSON and PostHog through `format`: the encoder is loaded on first use,
 * every guarantee of the native path holds, and an OTLP batch whose kinds were partly accepted resends
 * only the rest (collectors do not dedupe).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import type { SendRequest } from '../../src/telemetry/transport.js';
import { bodyText, HTTP, OK, readOp, recordingTransport, setVisibility } from './helpers.js';

afterEach(() => setVisibility('visible'));

const path = (r: SendRequest) => new URL(r.url).pathname;
const json = (r: SendRequest) => JSON.parse(bodyText(r)) as Record<string, unknown>;

describe("format: 'otlp'", () => {
  it('sends logs, spans and metrics to the collector’s /v1 paths with the bearer token', async () => {
    const wire = recordingTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'http://collector.test:4318',
      format: 'otlp',
      token: 'secret',
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    t.log('warn', 'slow answer', { ms: 1234 });
    t.metric('quiz.score', 42);
    t.trace('quiz.load', 12.5);
    await t.flush();
    expect(wire.requests.map(path).sort()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    for (const r of wire.requests) expect(r.headers).toMatchObject({ Authorization: 'Bearer secret' });
    const logs = json(wire.requests.find((r) => path(r) === '/v1/logs')!) as {
      resourceLogs: {
        scopeLogs: { logRecords: { severityNumber: number; body: { stringValue: string } }[] }[];
      }[];
    };
    const record = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({ severityNumber: 13, body: { stringValue: 'slow answer' } });
    expect(t.status()).toMatchObject({ sent: 3, queued: 0 });
    await t.shutdown();
  });

  it('resends only the kinds the collector has not accepted', async () => {
    const outbox = memoryOutbox();
    let metricsDown = true;
    const wire = recordingTransport((r) => (path(r) === '/v1/metrics' && metricsDown ? HTTP(503) : OK));
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'http://collector.test:4318',
      format: 'otlp',
      transport: wire.transport,
      outbox,
      retryBaseMs: 0,
      retryMaxMs: 0,
    });
    t.log('info', 'once');
    t.metric('m', 1);
    await t.flush();
    expect((await outbox.run(readOp))[0]!.sentKinds).toEqual(['logs']);
    metricsDown = false;
    await t.flush();
    await vi.waitFor(() => expect(t.status().queued).toBe(0));
    expect(wire.requests.map(path)).toEqual(expect.arrayContaining(['/v1/logs', '/v1/metrics']));
    expect(wire.requests.filter((r) => path(r) === '/v1/logs')).toHaveLength(1);
    expect(wire.requests.filter((r) => path(r) === '/v1/metrics').length).toBeGreaterThanOrEqual(2);
    await t.shutdown();
  });

  it('at unload sends without a custom header, within the keepalive budget', async () => {
    const wire = recordingTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'http://collector.test:4318',
      format: 'otlp',
      token: 'secret',
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    await t.flush(); // loads the encoder
    t.log('info', 'leaving');
    setVisibility('hidden');
    const unload = wire.requests.filter((r) => r.unloading);
    expect(unload.map(path)).toEqual(['/v1/logs']);
    expect(unload[0]!.headers).toEqual({});
    await t.shutdown();
  });
});

describe("format: 'posthog'", () => {
  it('sends one /batch/ request with the project key in the body', async () => {
    const wire = recordingTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'https://eu.posthog.test',
      format: 'posthog',
      token: 'phc_project',
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    t.exception(new TypeError('boom'));
    await t.flush();
    expect(wire.requests.map(path)).toEqual(['/batch/']);
    const body = json(wire.requests[0]!) as { api_key: string; batch: { event: string }[] };
    expect(body.api_key).toBe('phc_project');
    expect(body.batch.map((e) => e.event)).toEqual(['$exception']);
    await t.shutdown();
  });
});
