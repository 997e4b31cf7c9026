import { describe, expect, it } from 'vitest';
import { captureErrors } from '../../src/instrumentation/errors.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { recordingTransport } from '../telemetry/helpers.js';
import { ENDPOINT } from './helpers.js';

const fire = (message: string) =>
  window.dispatchEvent(new ErrorEvent('error', { error: new Error(message), message }));

describe('instrumentation and consent', () => {
  it('installed before consent, it records after optIn() without reinstalling, and stops on optOut()', async () => {
    const wire = recordingTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport: wire.transport,
      outbox: memoryOutbox(),
      consent: 'required',
      captureUrl: false,
    });
    const remove = captureErrors(t);
    fire('before consent');
    t.optIn();
    fire('after consent');
    await t.flush();
    t.optOut();
    fire('after opt-out');
    await t.flush();
    const messages = wire.bodies.flatMap((b) => b.logs.map((l) => l.message));
    expect(messages).toEqual(['after consent']);
    remove();
    await t.shutdown();
  });

  it('installs nothing for a client the env switch turned off', () => {
    const added: string[] = [];
    const add = window.addEventListener.bind(window);
    window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean?]) => (
      added.push(type),
      add(type, ...rest)
    )) as typeof window.addEventListener;
    try {
      captureErrors(createTelemetry({ sessionEvents: false, endpoint: ENDPOINT, enabled: false }))();
      expect(added).toEqual([]);
    } finally {
      window.addEventListener = add;
    }
  });
});
