import { afterEach, describe, expect, it } from 'vitest';
import {
  trackWebVitals,
  type VitalMetric,
  type WebVitalsSource,
} from '../../src/instrumentation/web-vitals.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import { cleanups, sent, wiredClient } from './helpers.js';

const after = cleanups();
afterEach(() => after.run());

const setup = () => wiredClient(after);

type Name = 'LCP' | 'INP' | 'CLS' | 'FCP' | 'TTFB';

/** Stands in for web-vitals: counts registrations and lets the test fire the callbacks. */
function fakeSource() {
  const callbacks: Partial<Record<Name, ((metric: VitalMetric) => void)[]>> = {};
  const registrations: Record<Name, number> = { LCP: 0, INP: 0, CLS: 0, FCP: 0, TTFB: 0 };
  const on = (name: Name) => (callback: (metric: VitalMetric) => void) => {
    registrations[name]++;
    (callbacks[name] ??= []).push(callback);
  };
  const source: WebVitalsSource = {
    onLCP: on('LCP'),
    onINP: on('INP'),
    onCLS: on('CLS'),
    onFCP: on('FCP'),
    onTTFB: on('TTFB'),
  };
  const emit = (metric: Partial<VitalMetric> & { name: Name; value: number }) => {
    const full: VitalMetric = {
      rating: 'good',
      id: `v6-${metric.name}-1`,
      navigationType: 'navigate',
      ...metric,
    };
    for (const callback of callbacks[metric.name] ?? []) callback(full);
  };
  return { source, emit, registrations };
}

describe('trackWebVitals', () => {
  it('records each vital as web_vital_<name> with ms rounded, CLS to 3 decimals, and its labels', async () => {
    const client = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(client.telemetry, { source: fake.source }));
    fake.emit({ name: 'LCP', value: 1234.56, rating: 'needs-improvement', id: 'v6-1' });
    fake.emit({ name: 'INP', value: 87.4, id: 'v6-2' });
    fake.emit({ name: 'CLS', value: 0.123456, id: 'v6-3', rating: 'poor' });
    fake.emit({ name: 'FCP', value: 900.5, id: 'v6-4', navigationType: 'reload' });
    fake.emit({ name: 'TTFB', value: 120.2, id: 'v6-5' });

    const { metrics } = await sent(client);
    expect(metrics.map((m) => [m.name, m.value, m.labels])).toEqual([
      ['web_vital_lcp', 1235, { rating: 'needs-improvement', id: 'v6-1', navigationType: 'navigate' }],
      ['web_vital_inp', 87, { rating: 'good', id: 'v6-2', navigationType: 'navigate' }],
      ['web_vital_cls', 0.123, { rating: 'poor', id: 'v6-3', navigationType: 'navigate' }],
      ['web_vital_fcp', 901, { rating: 'good', id: 'v6-4', navigationType: 'reload' }],
      ['web_vital_ttfb', 120, { rating: 'good', id: 'v6-5', navigationType: 'navigate' }],
    ]);
  });

  it('reports each web-vital id once across repeated hides and bfcache restores', async () => {
    const client = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(client.telemetry, { source: fake.source }));
    // First hide, then the page is shown and hidden again: web-vitals reports CLS again, same id.
    fake.emit({ name: 'CLS', value: 0.05, id: 'v6-a' });
    fake.emit({ name: 'CLS', value: 0.08, id: 'v6-a' });
    fake.emit({ name: 'LCP', value: 1000, id: 'v6-b' });
    fake.emit({ name: 'LCP', value: 1000, id: 'v6-b' });
    // Restored from the back/forward cache: new metric instances with new ids.
    fake.emit({ name: 'CLS', value: 0, id: 'v6-c', navigationType: 'back-forward-cache' });
    fake.emit({ name: 'LCP', value: 40, id: 'v6-d', navigationType: 'back-forward-cache' });
    fake.emit({ name: 'LCP', value: 40, id: 'v6-d', navigationType: 'back-forward-cache' });

    const { metrics } = await sent(client);
    expect(metrics.map((m) => [m.name, m.value, m.labels.id])).toEqual([
      ['web_vital_cls', 0.05, 'v6-a'],
      ['web_vital_lcp', 1000, 'v6-b'],
      ['web_vital_cls', 0, 'v6-c'],
      ['web_vital_lcp', 40, 'v6-d'],
    ]);
  });

  it('registers observers once however often it is called, and each client gets each id once', async () => {
    const a = setup();
    const b = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(a.telemetry, { source: fake.source }));
    after.add(trackWebVitals(a.telemetry, { source: fake.source }));
    after.add(trackWebVitals(b.telemetry, { source: fake.source }));
    expect(fake.registrations).toEqual({ LCP: 1, INP: 1, CLS: 1, FCP: 1, TTFB: 1 });

    fake.emit({ name: 'LCP', value: 800 });
    expect((await sent(a)).metrics.map((m) => m.name)).toEqual(['web_vital_lcp']);
    expect((await sent(b)).metrics.map((m) => m.name)).toEqual(['web_vital_lcp']);
  });

  it('gives a client that subscribes late the metrics already reported', async () => {
    const early = setup();
    const late = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(early.telemetry, { source: fake.source }));
    fake.emit({ name: 'TTFB', value: 95, id: 'v6-t' });
    fake.emit({ name: 'FCP', value: 410, id: 'v6-f' });
    after.add(trackWebVitals(late.telemetry, { source: fake.source }));

    expect((await sent(late)).metrics.map((m) => [m.name, m.value])).toEqual([
      ['web_vital_ttfb', 95],
      ['web_vital_fcp', 410],
    ]);
    expect((await sent(early)).metrics).toHaveLength(2);
  });

  it('adds the LCP element, INP target and largest CLS shift source as a short target label', async () => {
    const client = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(client.telemetry, { source: fake.source, attribution: true }));
    const long = `html>body>${'div.wrapper>'.repeat(20)}img#hero`;
    fake.emit({
      name: 'LCP',
      value: 1500,
      id: 'l',
      attribution: { target: 'main>img.hero', url: 'https://cdn/x?sig=1' },
    });
    fake.emit({ name: 'INP', value: 240, id: 'i', attribution: { interactionTarget: 'button#start' } });
    fake.emit({ name: 'CLS', value: 0.2, id: 'c', attribution: { largestShiftTarget: long } });
    fake.emit({ name: 'FCP', value: 300, id: 'f', attribution: { timeToFirstByte: 90 } });

    const { metrics, json } = await sent(client);
    expect(metrics.map((m) => m.labels.target)).toEqual([
      'main>img.hero',
      'button#start',
      expect.any(String),
      undefined,
    ]);
    const clsTarget = metrics[2]!.labels.target as string;
    expect(clsTarget.length).toBeLessThanOrEqual(80);
    expect(clsTarget).toMatch(/^….*div\.wrapper>img#hero$/);
    expect(json).not.toContain('sig=1');
  });

  it('adds no target label without the attribution option', async () => {
    const client = setup();
    const fake = fakeSource();
    after.add(trackWebVitals(client.telemetry, { source: fake.source }));
    fake.emit({ name: 'LCP', value: 1500, attribution: { target: 'main>img.hero' } });
    const { metrics } = await sent(client);
    expect(metrics[0]!.labels).not.toHaveProperty('target');
  });

  it('stops recording for a client once its uninstall function is called', async () => {
    const client = setup();
    const fake = fakeSource();
    const stop = trackWebVitals(client.telemetry, { source: fake.source });
    fake.emit({ name: 'FCP', value: 300, id: 'one' });
    stop();
    fake.emit({ name: 'LCP', value: 700, id: 'two' });
    expect((await sent(client)).metrics.map((m) => m.labels.id)).toEqual(['one']);
  });

  it('drops non-finite values and unknown metric names, and survives a throwing onX', async () => {
    const client = setup();
    const fake = fakeSource();
    fake.source.onINP = () => {
      throw new Error('no PerformanceObserver');
    };
    expect(() => after.add(trackWebVitals(client.telemetry, { source: fake.source }))).not.toThrow();
    fake.emit({ name: 'LCP', value: Number.NaN });
    fake.emit({ name: 'FID' as 'LCP', value: 10 });
    fake.emit({ name: 'TTFB', value: 50 });
    expect((await sent(client)).metrics.map((m) => m.name)).toEqual(['web_vital_ttfb']);
  });

  it('registers the real web-vitals in a DOM without a browser and never throws', () => {
    const client = setup();
    expect(() => after.add(trackWebVitals(client.telemetry))).not.toThrow();
  });

  it('registers no observers for a disabled client', () => {
    const fake = fakeSource();
    after.add(
      trackWebVitals(createTelemetry({ sessionEvents: false, enabled: false }), { source: fake.source }),
    );
    expect(fake.registrations).toEqual({ LCP: 0, INP: 0, CLS: 0, FCP: 0, TTFB: 0 });
  });
});
