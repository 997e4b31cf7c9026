import { describe, expect, it } from 'vitest';
import * as api from '../../src/telemetry/index.js';
import * as instrumentation from '../../src/instrumentation/index.js';

// The export surface is a contract (DESIGN.md section 3): changing it must be a decision, not an accident.
describe('public exports', () => {
  it('pwa-telemetry exports exactly the documented names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'createTelemetry',
      'fetchTransport',
      'fromViteEnv',
      'indexedDbOutbox',
      'memoryOutbox',
      'telemetry',
    ]);
  });

  it('pwa-telemetry/instrumentation exports exactly the documented names', () => {
    expect(Object.keys(instrumentation).sort()).toEqual([
      'captureConsole',
      'captureErrors',
      'createLogger',
      'instrumentFetch',
      'trackPageViews',
      'trackWebVitals',
      'withoutTelemetry',
    ]);
  });

  it('the singleton has every client method plus configure', () => {
    const methods = [
      'clearQueued',
      'configure',
      'consentState',
      'exception',
      'exportQueued',
      'flush',
      'getAnonymousId',
      'getSessionId',
      'isConfigured',
      'isEnabled',
      'log',
      'metric',
      'optIn',
      'optOut',
      'setLevel',
      'shutdown',
      'startSpan',
      'status',
      'trace',
    ];
    expect(Object.keys(api.telemetry).sort()).toEqual(methods);
  });
});
