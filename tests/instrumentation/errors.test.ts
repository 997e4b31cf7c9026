import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureErrors } from '../../src/instrumentation/errors.js';
import { fakeTimers } from '../telemetry/helpers.js';
import { cleanups, sent, wiredClient } from './helpers.js';

const after = cleanups();
afterEach(async () => {
  await after.run();
  vi.useRealTimers();
});

function setup(options?: Parameters<typeof captureErrors>[1]) {
  const client = wiredClient();
  after.add(client.shutdown);
  after.add(captureErrors(client.telemetry, options));
  return client;
}

function reject(reason: unknown): Event {
  // happy-dom has no PromiseRejectionEvent: an Event carrying `reason` is what the listener reads.
  const event = new Event('unhandledrejection', { cancelable: true });
  Object.defineProperty(event, 'reason', { value: reason });
  window.dispatchEvent(event);
  return event;
}

/** The same throw site every call, as in an error loop. */
function loopError(): Error {
  return new Error('render loop failed');
}

describe('captureErrors', () => {
  it('reports an uncaught Error with its source and location, without the query string', async () => {
    const client = setup();
    const event = new ErrorEvent('error', {
      error: new TypeError("Cannot read properties of undefined (reading 'id')"),
      message: "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
      filename: 'http://localhost:3000/assets/app.js?token=abc#x',
      lineno: 10,
      colno: 5,
      cancelable: true,
    });
    window.dispatchEvent(event);

    expect(event.defaultPrevented).toBe(false);
    const { logs, json } = await sent(client);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: "Cannot read properties of undefined (reading 'id')",
        context: {
          source: 'window.error',
          filename: 'http://localhost:3000/assets/app.js',
          lineno: 10,
          colno: 5,
        },
      }),
    ]);
    expect(logs[0]!.exception).toMatchObject({ type: 'TypeError' });
    expect(logs[0]!.exception!.stack).toContain('TypeError');
    expect(json).not.toContain('token=abc');
  });

  it('reports a cross-origin "Script error." that has no error object', async () => {
    const client = setup();
    window.dispatchEvent(new ErrorEvent('error', { message: 'Script error.' }));
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.exception, l.context])).toEqual([
      [{ type: 'Error', message: 'Script error.' }, { source: 'window.error' }],
    ]);
  });

  it('ignores plain error events, which come from failed resource loads', async () => {
    const client = setup();
    window.dispatchEvent(new Event('error'));
    expect((await sent(client)).logs).toEqual([]);
  });

  it('reports a string rejection', async () => {
    const client = setup();
    const event = reject('quota exceeded');
    expect(event.defaultPrevented).toBe(false);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.message, l.exception, l.context])).toEqual([
      ['quota exceeded', { type: 'string', message: 'quota exceeded' }, { source: 'unhandledrejection' }],
    ]);
  });

  it('reports an undefined rejection', async () => {
    const client = setup();
    reject(undefined);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.exception, l.context])).toEqual([
      [{ type: 'undefined', message: 'undefined' }, { source: 'unhandledrejection' }],
    ]);
  });

  it('reports an object rejection as JSON, with its secrets redacted', async () => {
    const client = setup();
    reject({ code: 'E_SYNC', status: 503, token: 'tok-1' });
    const { logs, json } = await sent(client);
    expect(logs[0]!.exception!.type).toBe('Object');
    expect(JSON.parse(logs[0]!.exception!.message)).toEqual({
      code: 'E_SYNC',
      status: 503,
      token: '[REDACTED]',
    });
    expect(json).not.toContain('tok-1');
  });

  it('reports an Error rejection with its type and stack', async () => {
    const client = setup();
    reject(new RangeError('page 0'));
    const { logs } = await sent(client);
    expect(logs[0]!.exception).toMatchObject({ type: 'RangeError', message: 'page 0' });
    expect(logs[0]!.exception!.stack).toContain('RangeError: page 0');
  });

  it('folds a flood of 1000 identical errors into one report and one repeat count', async () => {
    fakeTimers();
    const client = setup();
    for (let i = 0; i < 1000; i++) window.dispatchEvent(new ErrorEvent('error', { error: loopError() }));
    expect((await sent(client)).logs).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1000);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.message, l.context.repeat])).toEqual([
      ['render loop failed', undefined],
      ['render loop failed', 999],
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect((await sent(client)).logs).toHaveLength(2);
  });

  it('reports a continuous error loop once per window with its count', async () => {
    fakeTimers();
    const client = setup({ dedupeWindowMs: 1000 });
    // An error every 10 ms for 5 s: 500 errors.
    for (let i = 0; i < 500; i++) {
      reject(loopError());
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(2000);
    const { logs } = await sent(client);
    expect(logs.length).toBeGreaterThanOrEqual(5);
    expect(logs.length).toBeLessThanOrEqual(7);
    // The first report stands for one error; each later one for the `repeat` errors folded into it.
    const counted = logs.reduce(
      (sum, l) => sum + (typeof l.context.repeat === 'number' ? l.context.repeat : 1),
      0,
    );
    expect(counted).toBe(500);
    expect(logs.slice(1).every((l) => typeof l.context.repeat === 'number')).toBe(true);
  });

  it('caps reports per minute and sends the count of what it dropped with the next report', async () => {
    fakeTimers();
    const client = setup({ maxPerMinute: 30 });
    for (let i = 0; i < 100; i++) reject(new Error(`distinct failure ${i}`));
    expect((await sent(client)).logs).toHaveLength(30);

    await vi.advanceTimersByTimeAsync(60_000);
    reject(new Error('after the minute'));
    const { logs } = await sent(client);
    expect(logs).toHaveLength(31);
    expect(logs[30]).toMatchObject({ message: 'after the minute', context: { suppressed: 70 } });
  });

  it('keeps errors with different messages or throw sites apart', async () => {
    fakeTimers();
    const client = setup();
    const here = () => new Error('same message');
    const there = () => new Error('same message');
    reject(here());
    reject(there());
    reject(new Error('other message'));
    reject(here());
    expect((await sent(client)).logs).toHaveLength(3);
  });

  it('reports pending repeat counts and stops listening on uninstall', async () => {
    fakeTimers();
    const client = wiredClient();
    after.add(client.shutdown);
    const uninstall = captureErrors(client.telemetry);
    for (let i = 0; i < 3; i++) reject(loopError());
    uninstall();
    reject(loopError());
    window.dispatchEvent(new ErrorEvent('error', { error: new Error('after') }));
    await vi.advanceTimersByTimeAsync(5000);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.message, l.context.repeat])).toEqual([
      ['render loop failed', undefined],
      ['render loop failed', 2],
    ]);
  });

  it('reports each error once when installed twice for the same client', async () => {
    const client = setup();
    const second = captureErrors(client.telemetry);
    reject('once');
    second();
    reject('still captured');
    const { logs } = await sent(client);
    expect(logs.map((l) => l.message)).toEqual(['once', 'still captured']);
  });
});
