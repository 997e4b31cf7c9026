import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import {
  applyBeforeSend,
  cleanString,
  createScrubber,
  exceptionInfo,
  LIMITS,
  pageUrl,
  sanitize,
  sanitizeAttributes,
  sanitizeMessage,
  UUID_PATTERN,
} from '../../src/telemetry/privacy.js';
import type { LogRecord } from '../../src/telemetry/records.js';
import { recordingTransport } from './helpers.js';

const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

/**
 * Synthetic personal data, one value of each kind, with what it becomes. `secret` is the part that
 * must never leave the page (defaults to the whole value).
 */
export const PERSONAL: { kind: string; value: string; scrubbed: string; secret?: string }[] = [
  { kind: 'email', value: 'jane.doe+tag@mail.example.org', scrubbed: '[email]' },
  { kind: 'JWT', value: JWT, scrubbed: '[token]' },
  {
    kind: 'bearer token',
    value: 'Bearer abc.DEF-123_x~y+z/w==',
    scrubbed: 'Bearer [token]',
    secret: 'abc.DEF',
  },
  {
    kind: 'Basic credentials',
    value: 'Basic dXNlcjpwYXNzd29yZA==',
    scrubbed: 'Basic [token]',
    secret: 'dXNlcjpwYXNzd29yZA',
  },
  { kind: 'phone, international', value: '+1 415 555 0123', scrubbed: '[phone]' },
  { kind: 'phone, North American', value: '(415) 555-0123', scrubbed: '[phone]' },
  { kind: 'phone, UK', value: '+44 20 7946 0958', scrubbed: '[phone]' },
  { kind: 'phone, French national', value: '06 12 34 56 78', scrubbed: '[phone]' },
  { kind: 'phone, bare E.164', value: '+33612345678', scrubbed: '[phone]' },
  { kind: 'Stripe secret key', value: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', scrubbed: '[key]' },
  { kind: 'Stripe publishable key', value: 'pk_test_TYooMQauvdEDq54NiTphI7jx', scrubbed: '[key]' },
  { kind: 'Stripe restricted key', value: 'rk_live_51HqLyjWDarjtT1zdp7dcAbC', scrubbed: '[key]' },
  { kind: 'AWS access key id', value: 'AKIAIOSFODNN7EXAMPLE', scrubbed: '[key]' },
  { kind: 'GitHub token', value: 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8', scrubbed: '[key]' },
  {
    kind: 'GitHub fine-grained token',
    value: 'github_pat_11ABCDEFG0123456789_abcdefghijKLMNOP',
    scrubbed: '[key]',
  },
  { kind: 'PostHog project key', value: 'phc_x9Y8w7V6u5T4s3R2q1P0o9N8m7L6k5J4', scrubbed: '[key]' },
  { kind: 'PostHog personal key', value: 'phx_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6', scrubbed: '[key]' },
  {
    kind: 'Slack token',
    value: 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    scrubbed: '[key]',
  },
  { kind: 'Google API key', value: 'AIzaSyA-1234567890abcdefghijklmnopqrstu', scrubbed: '[key]' },
  { kind: 'OpenAI-style key', value: 'sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12', scrubbed: '[key]' },
  { kind: 'Visa card, spaced', value: '4111 1111 1111 1111', scrubbed: '[card]' },
  { kind: 'Mastercard, bare', value: '5500005555555559', scrubbed: '[card]' },
  { kind: 'Amex card', value: '3782-822463-10005', scrubbed: '[card]' },
  { kind: 'IBAN, grouped', value: 'DE89 3704 0044 0532 0130 00', scrubbed: '[iban]' },
  { kind: 'IBAN, compact', value: 'GB82WEST12345698765432', scrubbed: '[iban]' },
  { kind: 'IPv4', value: '203.0.113.42', scrubbed: '[ip]' },
  { kind: 'IPv6', value: '2001:db8:85a3::8a2e:370:7334', scrubbed: '[ip]' },
  { kind: 'IPv6, full', value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334', scrubbed: '[ip]' },
  {
    kind: 'Unix home',
    value: '/home/alice/app/main.js',
    scrubbed: '/home/[user]/app/main.js',
    secret: 'alice',
  },
  {
    kind: 'macOS home',
    value: '/Users/bob.smith/Library/x.log',
    scrubbed: '/Users/[user]/Library/x.log',
    secret: 'bob.smith',
  },
  {
    kind: 'Windows home',
    value: 'C:\\Users\\Carol\\AppData\\x.txt',
    scrubbed: 'C:\\Users\\[user]\\AppData\\x.txt',
    secret: 'Carol',
  },
  { kind: '~user', value: '~erin/notes.txt', scrubbed: '~[user]/notes.txt', secret: 'erin' },
  {
    kind: 'URL query and fragment',
    value: 'https://app.example.com/reset?code=829301&user=ann#step-2',
    scrubbed: 'https://app.example.com/reset?code=*&user=*#*',
    secret: '829301',
  },
  {
    kind: 'OAuth fragment',
    value: 'https://app.example.com/cb#access_token=ya29.a0Af&expires_in=3599',
    scrubbed: 'https://app.example.com/cb#access_token=*&expires_in=*',
    secret: 'ya29',
  },
  {
    kind: 'URL user info',
    value: 'https://ann:s3cr3t@db.example.com/',
    scrubbed: 'https://[user]@db.example.com/',
    secret: 's3cr3t',
  },
  { kind: 'Cookie header', value: 'Cookie: sessionid=38afes7a8; theme=dark', scrubbed: 'Cookie: [REDACTED]' },
  {
    kind: 'session cookie',
    value: 'sessionid=38afes7a8',
    scrubbed: 'sessionid=[REDACTED]',
    secret: '38afes7a8',
  },
  { kind: 'PHP session cookie', value: 'PHPSESSID=el4ukv0kqbvoirg7', scrubbed: 'PHPSESSID=[REDACTED]' },
  { kind: 'password in text', value: 'password=hunter2', scrubbed: 'password=[REDACTED]', secret: 'hunter2' },
  {
    kind: 'token in JSON text',
    value: '{"refresh_token":"r1.abc"}',
    scrubbed: '{"refresh_token":"[REDACTED]"}',
    secret: 'r1.abc',
  },
];

/** Strings that look a little like personal data and must survive unchanged. */
export const BENIGN: string[] = [
  'Quiz answered',
  'Order #100234',
  'ORD-2024-000123',
  'order 4012-8812',
  'v1.2.3',
  '1.2.3',
  'v10.4.1-beta.2',
  'v1.2.3.4',
  'Chrome/120.0.0.0 Safari/537.36',
  '2026-11-29',
  '29.11.2026 14:30',
  '29/11/2026',
  '2026-11-29T16:03:38.123Z',
  '16:03:38',
  'score 9/10',
  '95%',
  '1,234.56',
  '550e8400-e29b-41d4-a716-446655440000',
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '00f067aa0ba902b7',
  '1500ms',
  '12.5 s',
  '1732891234567',
  'question 42 of 50',
  'topic=Math&level=3',
  'at f (https://app.example.com/assets/index-4f3a.js:10:5)',
  'https://app.example.com/quiz/3',
  'https://site.example/home/welcome',
  'What is 2+2?',
  'Error: quiz not found',
  'Basic plan',
  'bearer of bad news',
  '4111 1111 1111 1112',
  'GB82 WEST 1234 5698 7654 33',
  'std::vector<int>',
  '~5 min',
  'C# and F#',
];

const sentence = (v: string): string => `seen ${v}\nnext line`;

describe('scrubbing: one value of each kind, through every path', () => {
  it.each(PERSONAL)('$kind in a log message', ({ value, scrubbed }) => {
    expect(sanitizeMessage(sentence(value))).toBe(sentence(scrubbed));
  });

  it.each(PERSONAL)('$kind in context values, metric labels and span attributes', ({ value, scrubbed }) => {
    expect(sanitizeAttributes({ note: sentence(value), nested: { list: [value] } })).toEqual({
      note: sentence(scrubbed),
      nested: { list: [scrubbed] },
    });
  });

  it.each(PERSONAL)('$kind in an exception message and stack', ({ value, scrubbed }) => {
    const e = new Error(`failed for ${value}`);
    e.stack = `Error: failed for ${value}\n    at f (app.js:1:1)`;
    expect(exceptionInfo(e)).toEqual({
      type: 'Error',
      message: `failed for ${scrubbed}`,
      stack: `Error: failed for ${scrubbed}\n    at f (app.js:1:1)`,
    });
  });

  it.each(PERSONAL)('$kind as an object key', ({ value, scrubbed }) => {
    expect(Object.keys(sanitize({ [value]: 1 }) as object)).toEqual([scrubbed]);
  });

  it.each(BENIGN)('leaves %j unchanged', (text) => {
    expect(cleanString(text)).toBe(text);
    expect(sanitizeMessage(sentence(text))).toBe(sentence(text));
  });

  it('keeps benign neighbours of a scrubbed value', () => {
    expect(sanitizeMessage('Order #100234 for jane@example.com on 2026-11-29T16:03:38Z, score 9/10')).toBe(
      'Order #100234 for [email] on 2026-11-29T16:03:38Z, score 9/10',
    );
  });

  it('scrubs the page URL path and drops its query and fragment', () => {
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(
      'https://app.example.com/u/jane@example.com/+14155550123?token=abc#x',
    );
    expect(pageUrl()).toBe('https://app.example.com/u/[email]/[phone]');
  });
});

describe('scrubbing through the client, as sent', () => {
  afterEach(() => {
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL('http://localhost/');
  });

  it('sends none of the personal values from any public method, and every benign string intact', async () => {
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(
      'https://app.example.com/quiz/jane@example.com?session=abc',
    );
    const wire = recordingTransport();
    const t = createTelemetry({ endpoint: 'https://ingest.example.com/ingest', transport: wire.transport });
    for (const { value } of PERSONAL) {
      t.log('info', sentence(value), { note: value, [value]: 'as key' });
      t.metric(`metric ${value}`, 1, { label: value });
      t.trace(`span ${value}`, 5, { attr: value });
      t.startSpan(`started ${value}`, { attr: value }).end({ more: value });
      const e = new Error(`failed for ${value}`);
      e.stack = `Error: failed for ${value}\n    at f (/home/alice/app.js:1:1)`;
      t.exception(e, { input: value });
    }
    for (const text of BENIGN) t.log('info', text, { text });
    await t.flush();
    const sent = wire.requests.map((r) => r.body).join('\n');
    for (const { kind, value, secret } of PERSONAL) {
      expect(sent.includes(secret ?? value), kind).toBe(false);
      expect(sent.includes(JSON.stringify(secret ?? value).slice(1, -1)), kind).toBe(false);
    }
    expect(sent).not.toContain('alice');
    const logs = wire.bodies.flatMap((b) => b.logs);
    expect(logs.map((l) => l.url)).toContain('https://app.example.com/quiz/[email]');
    const benign = logs.filter((l) => BENIGN.includes(l.message));
    expect(benign.map((l) => l.message)).toEqual(BENIGN);
    expect(benign.map((l) => l.context.text)).toEqual(BENIGN);
    await t.shutdown();
  });
});

describe('createScrubber options', () => {
  it('applies extra patterns to every match (made global), with [REDACTED] by default', () => {
    const s = createScrubber({
      scrubPatterns: [{ pattern: /\bCUST-\d{6}\b/, replacement: '[customer]' }, { pattern: /\bTEAM-\w+/ }],
    });
    expect(s.cleanString('for CUST-123456 and CUST-654321 of TEAM-blue')).toBe(
      'for [customer] and [customer] of [REDACTED]',
    );
    expect(s.sanitizeAttributes({ id: 'CUST-123456', 'CUST-000001': 1 })).toEqual({
      id: '[customer]',
      '[customer]': 1,
    });
    expect(s.exceptionInfo(new Error('CUST-123456')).message).toBe('[customer]');
    // The default instance is untouched.
    expect(cleanString('CUST-123456')).toBe('CUST-123456');
  });

  it('offers UUID_PATTERN for apps whose user ids are UUIDs', () => {
    const s = createScrubber({ scrubPatterns: [{ pattern: UUID_PATTERN, replacement: '[id]' }] });
    expect(s.sanitizeMessage('user 550e8400-e29b-41d4-a716-446655440000 left')).toBe('user [id] left');
  });

  it('passes groups to a replacement function and fails closed when it throws', () => {
    const s = createScrubber({
      scrubPatterns: [{ pattern: /acct-(\d+)/g, replacement: (_m, n) => `acct-${n.length}` }],
    });
    expect(s.cleanString('acct-12345')).toBe('acct-5');
    const failing = createScrubber({
      scrubPatterns: [
        {
          pattern: /x/,
          replacement: () => {
            throw new Error('bad replacement');
          },
        },
      ],
    });
    expect(failing.cleanString('a x b')).toBe('[REDACTED]');
    expect(failing.cleanString('clean')).toBe('clean');
  });

  it('keeps the values of allowed keys, in objects and in text, still scrubbing their patterns', () => {
    const s = createScrubber({ allowKeys: ['sessionId', 'AUTH_METHOD'] });
    expect(
      s.sanitize({
        sessionId: 'abc',
        SESSIONID: 'def',
        auth_method: 'oauth',
        token: 'x',
        nested: { sessionId: 'mail jane@example.com' },
      }),
    ).toEqual({
      sessionId: 'abc',
      SESSIONID: 'def',
      auth_method: 'oauth',
      token: '[REDACTED]',
      nested: { sessionId: 'mail [email]' },
    });
    expect(s.cleanString('sessionId=abc token=xyz')).toBe('sessionId=abc token=[REDACTED]');
    expect(s.isSensitiveKey('sessionId')).toBe(false);
    expect(createScrubber().isSensitiveKey('sessionId')).toBe(true);
  });
});

describe('applyBeforeSend', () => {
  const record = (): LogRecord => ({
    timestamp: 1_700_000_000_000,
    level: 'info',
    message: 'hello',
    context: { a: 1 },
    url: 'https://app.example.com/',
  });

  it('returns the record itself without a hook', () => {
    const r = record();
    expect(applyBeforeSend(r, undefined)).toBe(r);
  });

  it('keeps an edit made in place (hook returns nothing) or a returned record', () => {
    expect(
      applyBeforeSend(record(), (r) => {
        r.context.b = 2;
      }),
    ).toEqual({ ...record(), context: { a: 1, b: 2 } });
    expect(applyBeforeSend(record(), (r) => ({ ...r, message: 'edited' }))).toEqual({
      ...record(),
      message: 'edited',
    });
  });

  it('drops on null or false', () => {
    expect(applyBeforeSend(record(), () => null)).toBe('before_send');
    expect(applyBeforeSend(record(), () => false)).toBe('before_send');
  });

  it('drops as an error when the hook throws or returns something unusable', () => {
    expect(
      applyBeforeSend(record(), () => {
        throw new Error('hook bug');
      }),
    ).toBe('before_send_error');
    expect(applyBeforeSend(record(), () => 'text' as unknown as LogRecord)).toBe('before_send_error');
    expect(applyBeforeSend(record(), () => [] as unknown as LogRecord)).toBe('before_send_error');
    expect(applyBeforeSend(record(), (r) => ({ ...r, timestamp: 'now' as unknown as number }))).toBe(
      'before_send_error',
    );
    expect(
      applyBeforeSend(record(), (r) => {
        delete (r as Partial<LogRecord>).message;
      }),
    ).toBe('before_send_error');
  });

  it('lets a hook remove the URL or add fields', () => {
    expect(
      applyBeforeSend(record(), (r) => {
        delete r.url;
        r.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      }),
    ).toEqual({
      timestamp: 1_700_000_000_000,
      level: 'info',
      message: 'hello',
      context: { a: 1 },
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('scrubs and sanitizes what the hook adds', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const out = applyBeforeSend(record(), (r) => ({
      ...r,
      message: `for jane@example.com ${'m'.repeat(5000)}`,
      // A hook in plain JavaScript can put anything here.
      context: { fn: function named() {}, loop, password: 'x' } as unknown as LogRecord['context'],
      exception: { type: 'Error', message: 'at /home/alice/x', stack: `s ${'s'.repeat(9000)}` },
    }));
    expect(out).toMatchObject({
      message: `for [email] ${'m'.repeat(4061)}…[truncated 939 chars]`,
      context: { fn: '[Function named]', loop: { self: '[Circular]' }, password: '[REDACTED]' },
      exception: { type: 'Error', message: 'at /home/[user]/x' },
    });
    const { message, exception } = out as LogRecord;
    expect(message.length).toBeLessThanOrEqual(LIMITS.message);
    expect(exception!.stack!.length).toBeLessThanOrEqual(LIMITS.stack);
    expect(exception!.stack!.length).toBeGreaterThan(LIMITS.message);
  });
});
