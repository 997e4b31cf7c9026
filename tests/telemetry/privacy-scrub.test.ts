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
import { BENIGN, PERSONAL } from './privacy-corpus.js';

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
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: 'https://ingest.example.com/ingest',
      transport: wire.transport,
    });
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
    // Batches may reach the transport in any order: compared as sets, each message with its context.
    const benign = logs.filter((l) => BENIGN.includes(l.message));
    expect(benign.map((l) => [l.message, l.context.text]).sort()).toEqual(BENIGN.map((b) => [b, b]).sort());
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
