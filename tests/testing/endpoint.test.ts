import { describe, expect, it } from 'vitest';
import { endpointPredicate } from '../../src/testing/endpoint.js';

const match = (matcher: Parameters<typeof endpointPredicate>[0], url: string): boolean =>
  endpointPredicate(matcher)(new URL(url));

describe('endpointPredicate', () => {
  it('by default matches the native, OTLP and PostHog paths, under any prefix, and nothing else', () => {
    for (const url of [
      'https://app.example/ingest',
      'https://app.example/api/ingest?x=1',
      'http://collector:4318/v1/logs',
      'http://collector:4318/v1/traces',
      'http://collector:4318/v1/metrics/',
      'https://eu.i.posthog.com/batch/',
    ])
      expect(match(undefined, url), url).toBe(true);
    for (const url of [
      'https://app.example/',
      'https://app.example/ingestion',
      'https://app.example/v1/profiles',
      'https://app.example/assets/ingest.js',
      'https://app.example/api/echo?path=/ingest',
    ])
      expect(match(undefined, url), url).toBe(false);
  });

  it('takes a path, a URL prefix, a RegExp or a predicate', () => {
    expect(match('/telemetry', 'https://a.example/telemetry')).toBe(true);
    expect(match('/telemetry', 'https://a.example/telemetry/v1/logs')).toBe(true);
    expect(match('/telemetry', 'https://a.example/telemetry-old')).toBe(false);
    expect(match('https://collector.example:4318/', 'https://collector.example:4318/v1/logs')).toBe(true);
    expect(match('https://collector.example:4318/', 'https://app.example/v1/logs')).toBe(false);
    expect(match(/\/e\/\?ver=/, 'https://posthog.example/e/?ver=1')).toBe(true);
    expect(match((url) => url.searchParams.has('t'), 'https://a.example/x?t=1')).toBe(true);
  });
});
