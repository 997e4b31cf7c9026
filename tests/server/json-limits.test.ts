// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { deeperThan, MAX_JSON_DEPTH, parseJson } from '../../src/server/json-body.js';
import { MAX_ITEMS } from '../../src/server/index.js';
import { batch, cleanup, items, lines, post, serve } from './harness.js';

afterEach(cleanup);

const DEPTH_REASON = `JSON nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`;

/** `levels` objects nested as `{ "d": { "d": … {} } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { d: value };
  return value;
}

/** The text of an OTLP log whose one attribute is a kvlist nested `levels` deep (4 JSON levels each). */
function deepOtlp(levels: number): string {
  const value =
    '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(levels) +
    '{"stringValue":"leaf"}' +
    '}]}}'.repeat(levels);
  return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"x"},"attributes":[{"key":"a","value":${value}}]}]}]}]}`;
}

describe('deeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or after escaped quotes', () => {
    expect(deeperThan('[[[]]]', 3)).toBe(false);
    expect(deeperThan('[[[[]]]]', 3)).toBe(true);
    expect(deeperThan('{"a":[{"b":"[[[[[[{{{{"}]}', 3)).toBe(false);
    expect(deeperThan('{"a\\"[[[[":"\\\\"}', 1)).toBe(false);
    expect(deeperThan('["\\\\",[[[]]]]', 3)).toBe(true);
  });

  it('refuses 1 MiB of [[[[ in one pass, without recursion, long before JSON.parse would finish it', () => {
    const text = '['.repeat(2 ** 20) + ']'.repeat(2 ** 20);
    const started = performance.now();
    expect(parseJson(text)).toEqual({ ok: false, reason: DEPTH_REASON });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('sends none of the body back in a JSON syntax error', () => {
    const result = parseJson('{"token":"s3cret-value","x":}');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^invalid JSON: Unexpected token '}'/);
    expect(JSON.stringify(result)).not.toContain('s3cret');
    const unquoted = parseJson('{"token":s3cret-value}');
    expect(unquoted).toEqual({ ok: false, reason: "invalid JSON: Unexpected token 's'" });
  });
});

describe('JSON limits at the ingest endpoint', () => {
  it(`stores a native body nested ${MAX_JSON_DEPTH} deep and refuses ${MAX_JSON_DEPTH + 1} with 400`, async () => {
    const server = await serve();
    // body { logs [ item { context { … } } ] }: 3 levels above the context.
    const ok = batch('deep-ok', {
      logs: [{ level: 'info', message: 'm', context: nested(MAX_JSON_DEPTH - 3) }],
    });
    const tooDeep = batch('deep-no', {
      logs: [{ level: 'info', message: 'm', context: nested(MAX_JSON_DEPTH - 2) }],
    });
    expect((await post(server.url, ok)).status).toBe(200);
    const refused = await post(server.url, tooDeep);
    expect([refused.status, await refused.json()]).toEqual([400, { error: DEPTH_REASON }]);
    expect((await items(server.dataDir, 'logs')).map((l) => l.batch_id)).toEqual(['deep-ok']);
  });

  it('refuses deep native items sent pretty-printed (the store would JSON.stringify them) with 400, not 500', async () => {
    const server = await serve();
    // Text built by hand: JSON.stringify itself overflows on such an object.
    const context = '{ "d":\n'.repeat(20_000) + '{}' + '\n}'.repeat(20_000);
    const body = JSON.stringify(batch('pretty'), null, 1).replace(
      /"logs": \[[\s\S]*?\n \]/,
      `"logs": [\n{ "level": "info", "message": "m", "context": ${context} }\n]`,
    );
    expect(body).toContain('\n');
    const res = await post(server.url, body);
    expect([res.status, await res.json()]).toEqual([400, { error: DEPTH_REASON }]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });

  it('refuses OTLP attributes nested past the limit with 400, not a stack overflow and 500', async () => {
    const server = await serve({ maxBodyBytes: 4 * 2 ** 20 });
    const ok = await post(server.url, deepOtlp(12), { path: '/v1/logs' });
    expect(ok.status).toBe(200);
    const res = await post(server.url, deepOtlp(20_000), { path: '/v1/logs' });
    expect([res.status, await res.json()]).toEqual([400, { error: DEPTH_REASON }]);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
  });

  it(`refuses a batch of more than ${MAX_ITEMS} items with 400 naming the limit`, async () => {
    const server = await serve({ maxBodyBytes: 4 * 2 ** 20 });
    const log = { level: 'info', message: 'm' };
    const res = await post(server.url, batch('many', { logs: Array.from({ length: MAX_ITEMS }, () => log) }));
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: `batch has ${MAX_ITEMS + 2} items, at most ${MAX_ITEMS} are allowed` },
    ]);
    const otlp = {
      resourceLogs: [
        { scopeLogs: [{ logRecords: Array.from({ length: MAX_ITEMS + 1 }, () => ({ timeUnixNano: '1' })) }] },
      ],
    };
    const refused = await post(server.url, otlp, { path: '/v1/logs' });
    expect([refused.status, await refused.json()]).toEqual([
      400,
      { error: `request has over ${MAX_ITEMS} items` },
    ]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
  });
});
