// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { defaultOptions, OptionsError, parseServeArgs, resolveOptions } from '../../src/server/index.js';

describe('parseServeArgs', () => {
  it('returns the defaults when given nothing', () => {
    const options = parseServeArgs([], {});
    expect(options).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      dataDir: './.data/telemetry',
      token: undefined,
      retentionDays: 30,
      corsOrigin: '*',
      maxBodyBytes: 1_048_576,
      rateLimit: { requests: 1200, perMs: 10_000 },
    });
  });

  it('reads every flag, as --flag value and as --flag=value', () => {
    const options = parseServeArgs(
      [
        '--port',
        '9000',
        '--host=0.0.0.0',
        '--data-dir',
        '/var/telemetry',
        '--token=abc',
        '--retention-days',
        '7',
        '--cors-origin',
        'https://app.example',
        '--max-body-bytes=2048',
      ],
      {},
    );
    expect(options).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/var/telemetry',
      token: 'abc',
      retentionDays: 7,
      corsOrigin: 'https://app.example',
      maxBodyBytes: 2048,
    });
  });

  it('reads the TELEMETRY_* environment, and flags win over it', () => {
    const env = {
      TELEMETRY_PORT: '9001',
      TELEMETRY_HOST: '::1',
      TELEMETRY_DATA_DIR: '/data',
      TELEMETRY_TOKEN: 'from-env',
      TELEMETRY_RETENTION_DAYS: '14',
      TELEMETRY_CORS_ORIGIN: 'https://env.example',
    };
    expect(parseServeArgs([], env)).toMatchObject({
      port: 9001,
      host: '::1',
      dataDir: '/data',
      token: 'from-env',
      retentionDays: 14,
      corsOrigin: 'https://env.example',
    });
    expect(parseServeArgs(['--port', '9002', '--token', 'from-flag'], env)).toMatchObject({
      port: 9002,
      token: 'from-flag',
      host: '::1',
    });
  });

  it('treats an empty environment variable as unset', () => {
    expect(parseServeArgs([], { TELEMETRY_TOKEN: '', TELEMETRY_PORT: '' })).toMatchObject({
      token: undefined,
      port: 8787,
    });
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc"'],
    [['--port', '65536'], '--port must be an integer from 0 to 65535, got "65536"'],
    [['--port', '-1'], '--port must be an integer from 0 to 65535, got "-1"'],
    [['--retention-days', '0'], '--retention-days must be an integer >= 1, got "0"'],
    [['--max-body-bytes', '1.5'], '--max-body-bytes must be an integer >= 1, got "1.5"'],
    [['--token'], '--token needs a value'],
    [['--token='], '--token needs a value'],
    [['--host', '--port', '1'], '--host needs a value'],
    [['--verbose'], 'unknown option --verbose'],
    [['extra'], 'unexpected argument "extra"'],
  ])('refuses %j with "%s"', (argv, message) => {
    expect(() => parseServeArgs(argv, {})).toThrow(new OptionsError(message));
  });

  it('names the environment variable in an error about its value', () => {
    expect(() => parseServeArgs([], { TELEMETRY_RETENTION_DAYS: 'month' })).toThrow(
      'TELEMETRY_RETENTION_DAYS must be an integer >= 1, got "month"',
    );
  });
});

describe('resolveOptions', () => {
  it('fills in defaults around what is given', () => {
    const now = (): number => 1;
    const { onError, ...options } = resolveOptions({ port: 0, now });
    const { onError: _, ...defaults } = defaultOptions();
    expect(options).toEqual({ ...defaults, port: 0, now });
    expect(onError).toBeTypeOf('function');
  });

  it('refuses values the server cannot run with', () => {
    expect(() => resolveOptions({ port: 70_000 })).toThrow(OptionsError);
    expect(() => resolveOptions({ rateLimit: { requests: 0, perMs: 1000 } })).toThrow(
      'rateLimit.requests must be an integer >= 1, got 0',
    );
  });
});
