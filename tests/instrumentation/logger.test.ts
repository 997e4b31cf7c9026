import { afterEach, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../src/telemetry/client.js';
import { captureConsole } from '../../src/instrumentation/console.js';
import { createLogger } from '../../src/instrumentation/logger.js';
import { withoutTelemetry } from '../../src/instrumentation/reentry.js';
import { captureOutput, cleanups, sent, wiredClient } from './helpers.js';

const after = cleanups();
afterEach(() => after.run());

const setup = () => wiredClient(after);

describe('createLogger', () => {
  it('prints [LEVEL] message with its context and forwards the entry to telemetry', async () => {
    const client = setup();
    const printed = captureOutput(['info']);
    createLogger(client.telemetry).info('Quiz started', { topic: 'Math' });

    expect(printed.map((p) => p.args)).toEqual([['[INFO] Quiz started', { topic: 'Math' }]]);
    const { logs } = await sent(client);
    expect(logs).toEqual([
      expect.objectContaining({ level: 'info', message: 'Quiz started', context: { topic: 'Math' } }),
    ]);
  });

  it('prints the message alone when there is no context', () => {
    const client = setup();
    const printed = captureOutput(['warn']);
    createLogger(client.telemetry).warn('Low storage');
    expect(printed.map((p) => p.args)).toEqual([['[WARN] Low storage']]);
  });

  it('redacts credentials and email addresses in both the console and the wire', async () => {
    const client = setup();
    const printed = captureOutput(['warn']);
    createLogger(client.telemetry).warn('Login failed for jane@example.com', {
      password: 'hunter2',
      token: 'tok-123',
      secret: 's3cr3t',
      apiKey: 'key-456',
      authorization: 'Basic dXNlcjpwYXNz',
      email: 'bob@example.org',
      nested: { note: 'reply to carol@example.net', user: { accessToken: 'tok-789' } },
      attempt: 2,
    });

    const { logs, json } = await sent(client);
    for (const output of [printed.map((p) => p.text).join('\n'), json]) {
      for (const secret of ['hunter2', 'tok-123', 's3cr3t', 'key-456', 'dXNlcjpwYXNz', 'tok-789']) {
        expect(output).not.toContain(secret);
      }
      for (const email of ['jane@example.com', 'bob@example.org', 'carol@example.net']) {
        expect(output).not.toContain(email);
      }
      expect(output).toContain('[REDACTED]');
      expect(output).toContain('Login failed for [email]');
    }
    expect(logs[0]!.context).toMatchObject({ attempt: 2, password: '[REDACTED]', apiKey: '[REDACTED]' });
  });

  it('prints only at or above the level threshold but forwards every entry', async () => {
    // 'verbose': the client's default level ('normal') does not collect debug logs.
    const client = wiredClient(after, { level: 'verbose' });
    const printed = captureOutput(['debug', 'info', 'warn', 'error']);
    const logger = createLogger(client.telemetry, { level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');

    expect(printed.map((p) => [p.method, p.text])).toEqual([
      ['warn', '[WARN] w'],
      ['error', '[ERROR] e'],
    ]);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      ['debug', 'd'],
      ['info', 'i'],
      ['warn', 'w'],
      ['error', 'e'],
    ]);
  });

  it('prints info and above by default', () => {
    const client = setup();
    const printed = captureOutput(['debug', 'info']);
    const logger = createLogger(client.telemetry);
    logger.debug('hidden');
    logger.info('shown');
    expect(printed.map((p) => p.text)).toEqual(['[INFO] shown']);
  });

  it('keeps entries below telemetryLevel off the wire while still printing them', async () => {
    const client = setup();
    const printed = captureOutput(['debug', 'error']);
    const logger = createLogger(client.telemetry, { level: 'debug', telemetryLevel: 'error' });
    logger.debug('chatty');
    logger.error('broken');
    expect(printed.map((p) => p.text)).toEqual(['[DEBUG] chatty', '[ERROR] broken']);
    const { logs } = await sent(client);
    expect(logs.map((l) => l.message)).toEqual(['broken']);
  });

  it('records perf as a lowercase metric when the value is a finite number', async () => {
    const client = setup();
    captureOutput(['info']);
    const logger = createLogger(client.telemetry);
    logger.perf('LCP', { value: 1250, rating: 'good' });
    logger.perf('CLS', { value: '0.100', rating: 'good' });
    logger.perf('INP', { value: Number.NaN });
    logger.perf('TTFB');

    const { logs, metrics } = await sent(client);
    expect(metrics.map((m) => [m.name, m.value, m.labels])).toEqual([['lcp', 1250, { rating: 'good' }]]);
    expect(logs.map((l) => l.message)).toEqual(['[PERF] LCP', '[PERF] CLS', '[PERF] INP', '[PERF] TTFB']);
    expect(logs[0]!.context).toEqual({ value: 1250, rating: 'good' });
  });

  it('does not loop or double-forward when console capture is on and the logger prints', async () => {
    const client = setup();
    const printed = captureOutput(['warn', 'error']);
    after.add(captureConsole(client.telemetry));
    const logger = createLogger(client.telemetry);
    logger.warn('Slow quiz load', { ms: 900 });
    logger.error('Quiz failed');

    expect(printed.map((p) => p.text)).toEqual(['[WARN] Slow quiz load {"ms":900}', '[ERROR] Quiz failed']);
    const { logs } = await sent(client);
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'Slow quiz load'],
      ['error', 'Quiz failed'],
    ]);
  });

  it('prints but does not forward what telemetry logs through the logger while forwarding', async () => {
    const client = setup();
    const printed = captureOutput(['warn', 'error']);
    after.add(captureConsole(client.telemetry));
    // A client whose log() reports a diagnostic through the app logger and the console on every call,
    // as an app does when it wires onDiagnostic to its logger.
    let logger = createLogger(client.telemetry);
    const noisy: Telemetry = {
      ...client.telemetry,
      log(level, message, context) {
        logger.warn('telemetry diagnostic');
        console.error('raw diagnostic');
        client.telemetry.log(level, message, context);
      },
    };
    logger = createLogger(noisy);
    logger.error('Quiz failed');

    expect(printed.map((p) => p.text)).toEqual([
      '[ERROR] Quiz failed',
      '[WARN] telemetry diagnostic',
      'raw diagnostic',
    ]);
    const { logs } = await sent(client);
    expect(logs.map((l) => l.message)).toEqual(['Quiz failed']);
  });

  it('lets apps print telemetry diagnostics without forwarding them', async () => {
    const client = setup();
    const printed = captureOutput(['warn']);
    after.add(captureConsole(client.telemetry));
    withoutTelemetry(() => console.warn('[telemetry] IndexedDB failed'));
    expect(printed.map((p) => p.text)).toEqual(['[telemetry] IndexedDB failed']);
    expect((await sent(client)).logs).toEqual([]);
  });

  it('never throws, even when the console and telemetry do', () => {
    const broken = {
      log: () => {
        throw new Error('log');
      },
      metric: () => {
        throw new Error('metric');
      },
    };
    const logger = createLogger(broken as unknown as Telemetry, {
      console: {
        debug: () => {},
        info: () => {
          throw new Error('console');
        },
        warn: () => {},
        error: () => {},
      },
    });
    expect(() => logger.info('x', { a: 1 })).not.toThrow();
    expect(() => logger.perf('LCP', { value: 1 })).not.toThrow();
    expect(() => logger.perf('LCP', null as unknown as { value: number })).not.toThrow();
  });
});
