import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import { captureConsole } from '../../src/instrumentation/console.js';
import { captureErrors } from '../../src/instrumentation/errors.js';
import { instrumentFetch } from '../../src/instrumentation/fetch.js';

describe('instrumentation of a disabled client', () => {
  it('patches no global and adds no listener', () => {
    const telemetry = createTelemetry({ sessionEvents: false, enabled: false });
    const fetchBefore = globalThis.fetch;
    const warnBefore = console.warn;
    const errorBefore = console.error;
    const added: string[] = [];
    const add = window.addEventListener.bind(window);
    window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean?]) => (
      added.push(type),
      add(type, ...rest)
    )) as typeof window.addEventListener;
    try {
      const removers = [captureErrors(telemetry), instrumentFetch(telemetry), captureConsole(telemetry)];
      expect(globalThis.fetch).toBe(fetchBefore);
      expect(console.warn).toBe(warnBefore);
      expect(console.error).toBe(errorBefore);
      expect(added).toEqual([]);
      for (const remove of removers) remove();
    } finally {
      window.addEventListener = add;
    }
  });
});
