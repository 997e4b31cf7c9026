import { afterEach, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../src/telemetry/client.js';
import { captureConsole } from '../../src/instrumentation/console.js';
import { captureOutput, cleanups, sent, wiredClient } from './helpers.js';

const after = cleanups();
afterEach(() => after.run());

const setup = () => wiredClient(after);

describe('captureConsole', () => {
  it('forwards console.warn and console.error to telemetry and still prints them', async () => {
    const client = setup();
    const printed = captureOutput(['log', 'warn', 'error']);
    after.add(captureConsole(client.telemetry));
    console.warn('Deprecated API', { api: 'v1' });
    console.error('Render failed:', 3, 'times');
    console.log('not captured by default');

    expect(printed.map((p) => p.text)).toEqual([
      'Deprecated API {"api":"v1"}',
      'Render failed: 3 times',
      'not captured by default',
    ]);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.level, l.message, l.context])).toEqual([
      ['warn', 'Deprecated API {"api":"v1"}', { source: 'console' }],
      ['error', 'Render failed: 3 times', { source: 'console' }],
    ]);
  });

  it('captures only the levels asked for, console.log as info', async () => {
    const client = setup();
    captureOutput(['log', 'warn']);
    after.add(captureConsole(client.telemetry, { levels: ['log'] }));
    console.log('hello');
    console.warn('ignored');
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.level, l.message])).toEqual([['info', 'hello']]);
  });

  it('sends an Error argument with its type, message and stack', async () => {
    const client = setup();
    captureOutput(['error']);
    after.add(captureConsole(client.telemetry));
    console.error('Unexpected', new RangeError('index 7'));
    const { logs } = await sent(client);
    expect(logs[0]).toMatchObject({
      level: 'error',
      message: 'Unexpected RangeError: index 7',
      context: { source: 'console', error: { type: 'RangeError', message: 'index 7' } },
    });
    expect(JSON.stringify(logs[0]!.context)).toContain('RangeError: index 7\\n');
  });

  it('redacts emails and sensitive keys in forwarded arguments', async () => {
    const client = setup();
    captureOutput(['warn']);
    after.add(captureConsole(client.telemetry));
    console.warn('signup for dave@example.com', { password: 'pw-1', plan: 'pro' });
    const { json } = await sent(client);
    expect(json).not.toContain('dave@example.com');
    expect(json).not.toContain('pw-1');
    expect(json).toContain('signup for [email]');
    expect(json).toContain('\\"plan\\":\\"pro\\"');
  });

  it('restores the exact original methods on uninstall and stops forwarding', async () => {
    const client = setup();
    captureOutput(['warn', 'error']);
    const warn = console.warn;
    const error = console.error;
    const uninstall = captureConsole(client.telemetry);
    expect(console.warn).not.toBe(warn);
    uninstall();
    expect(console.warn).toBe(warn);
    expect(console.error).toBe(error);
    console.warn('after uninstall');
    expect((await sent(client)).logs).toEqual([]);
  });

  it('treats a second install as a no-op', async () => {
    const client = setup();
    const printed = captureOutput(['warn']);
    const original = console.warn;
    const first = captureConsole(client.telemetry);
    after.add(first);
    const patched = console.warn;
    const second = captureConsole(client.telemetry);
    expect(console.warn).toBe(patched);
    console.warn('once');
    second();
    expect(console.warn).toBe(patched);
    first();
    expect(console.warn).toBe(original);

    expect(printed.map((p) => p.text)).toEqual(['once']);
    expect((await sent(client)).logs.map((l) => l.message)).toEqual(['once']);
  });

  it('does not loop when telemetry itself logs to the console', async () => {
    const client = setup();
    const printed = captureOutput(['warn', 'error']);
    // A client that prints a diagnostic on every log call: forwarding it again would never end.
    const noisy: Telemetry = {
      ...client.telemetry,
      log(level, message, context) {
        console.warn('[telemetry] buffered', message);
        client.telemetry.log(level, message, context);
      },
    };
    after.add(captureConsole(noisy));
    console.error('boom');

    expect(printed.map((p) => p.text)).toEqual(['boom', '[telemetry] buffered boom']);
    expect((await sent(client)).logs.map((l) => l.message)).toEqual(['boom']);
  });

  it('leaves a patch added after it in place on uninstall, forwarding nothing more', async () => {
    const client = setup();
    const printed = captureOutput(['warn']);
    const uninstall = captureConsole(client.telemetry);
    const ours = console.warn;
    const theirs = (...args: unknown[]) => ours('[theirs]', ...args);
    console.warn = theirs;
    uninstall();
    expect(console.warn).toBe(theirs);
    console.warn('still printed');
    expect(printed.map((p) => p.text)).toEqual(['[theirs] still printed']);
    expect((await sent(client)).logs).toEqual([]);
  });
});
