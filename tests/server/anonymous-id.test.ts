// @vitest-environment node
// The client's daily-rotating anonymous id (`anonymousId` in the native envelope, resource attribute
// `anonymous.id` in OTLP) is stored on every line as `anonymous_id`, so `delete --anonymous-id` finds
// every line of that user; a malformed one is refused with 400 before anything is stored.
import { afterEach, describe, expect, it } from 'vitest';
import { validateBody } from '../../src/server/index.js';
import { batch, cleanup, items, lines, post, serve } from './harness.js';

afterEach(cleanup);

function otlpLogs(resources: Record<string, unknown>[]): Record<string, unknown> {
  return {
    resourceLogs: resources.map((attributes, i) => ({
      resource: {
        attributes: Object.entries(attributes).map(([key, value]) => ({
          key,
          value: typeof value === 'string' ? { stringValue: value } : { intValue: value },
        })),
      },
      scopeLogs: [{ logRecords: [{ severityNumber: 9, body: { stringValue: `r${i}` } }] }],
    })),
  };
}

describe('anonymousId in the native envelope', () => {
  it('is stored on every line of every kind, compact body or not', async () => {
    const server = await serve();
    expect((await post(server.url, batch('compact', { anonymousId: 'anon_2026-03-15' }))).status).toBe(200);
    const pretty = JSON.stringify(batch('pretty', { anonymousId: 'A-b_9' }), null, 2);
    expect((await post(server.url, pretty)).status).toBe(200);
    for (const kind of ['logs', 'traces', 'metrics'] as const) {
      expect((await items(server.dataDir, kind)).map((item) => item.anonymous_id)).toEqual([
        'anon_2026-03-15',
        'A-b_9',
      ]);
    }
  });

  it('is null when absent or null, and an item cannot set its own', async () => {
    const server = await serve();
    await post(server.url, batch('none'));
    await post(server.url, batch('null', { anonymousId: null }));
    await post(
      server.url,
      batch('forged', { logs: [{ level: 'info', message: 'm', anonymous_id: 'someone-else' }] }),
    );
    expect((await items(server.dataDir, 'logs')).map((item) => item.anonymous_id)).toEqual([
      null,
      null,
      null,
    ]);
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(65), '65 characters'],
    ['a b', 'a space'],
    ['a"b', 'a quote'],
    [7, 'a number'],
  ] as [unknown, string][])('refuses %j (%s) with 400 and stores nothing', async (anonymousId) => {
    expect(validateBody(batch('b', { anonymousId }))).toEqual({
      ok: false,
      reason: 'anonymousId must be 1 to 64 characters of A-Z a-z 0-9 _ -',
    });
    const server = await serve();
    const res = await post(server.url, batch('b', { anonymousId }));
    expect(res.status).toBe(400);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('accepts 64 characters', () => {
    const result = validateBody(batch('b', { anonymousId: 'x'.repeat(64) }));
    expect(result.ok && result.body.anonymousId).toBe('x'.repeat(64));
  });
});

describe('anonymous.id in an OTLP resource', () => {
  it('is stored as anonymous_id (and session.id as session_id) per resource of the request', async () => {
    const server = await serve();
    const res = await post(
      server.url,
      otlpLogs([{ 'session.id': 's1', 'anonymous.id': 'anon-1' }, { 'service.name': 'quiz' }]),
      { path: '/v1/logs' },
    );
    expect(res.status).toBe(200);
    const stored = await items(server.dataDir, 'logs');
    expect(stored.map((item) => [item.message, item.session_id, item.anonymous_id])).toEqual([
      ['r0', 's1', 'anon-1'],
      ['r1', null, null],
    ]);
  });

  it('refuses a malformed anonymous.id with 400', async () => {
    const server = await serve();
    for (const bad of ['a b', 'x'.repeat(65), 12]) {
      const res = await post(server.url, otlpLogs([{ 'anonymous.id': bad }]), { path: '/v1/logs' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(
        'resourceLogs[0].resource attribute anonymous.id must be 1 to 64 characters of A-Z a-z 0-9 _ -',
      );
    }
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });
});
