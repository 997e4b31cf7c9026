// @vitest-environment node
// The store reuses each item's own text from the body; whatever the body's formatting, the lines on
// disk must parse to the item plus our fields, one item a line.
import { afterEach, describe, expect, it } from 'vitest';
import { itemSpans } from '../../src/server/item-spans.js';
import { cleanup, items, lines, NOW, post, serve } from './harness.js';

afterEach(cleanup);

const ours = {
  batch_id: 'b1',
  session_id: 's"1',
  anonymous_id: null,
  received_at: new Date(NOW).toISOString(),
};

describe('lines from the raw body', () => {
  it('keeps strings with escaped quotes, backslashes, brackets and non-ASCII intact', async () => {
    const server = await serve();
    const log = {
      level: 'warn',
      message: 'a "quoted" \\ back\\\\slash, {not: an object} [nor, an array] ü 😀 \u2028',
      context: { nested: { deep: [1, [2, { x: '}' }]] }, empty: {}, list: [] },
    };
    const body = JSON.stringify({
      batchId: 'b1',
      session: { id: 's"1' },
      logs: [log, { level: 'info', message: '' }],
    });
    expect((await post(server.url, body)).status).toBe(200);
    expect(await items(server.dataDir, 'logs')).toEqual([
      { ...log, ...ours },
      { level: 'info', message: '', ...ours },
    ]);
  });

  it('stores one line per item from a pretty-printed body', async () => {
    const server = await serve();
    const body = JSON.stringify(
      { batchId: 'b1', session: { id: 's"1' }, logs: [{ level: 'info', message: 'm' }] },
      null,
      2,
    );
    expect((await post(server.url, body)).status).toBe(200);
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
    expect(await items(server.dataDir, 'logs')).toEqual([{ level: 'info', message: 'm', ...ours }]);
  });

  it('handles spaces between tokens on one line, and takes the last of repeated keys as JSON.parse does', async () => {
    const server = await serve();
    const body =
      '{ "batchId" : "b1" , "session": {"id": "s\\"1"}, "logs" : [ {"level":"debug","message":"first"} ] ,' +
      ' "metrics": [ { "name" : "LCP" , "value" : 1.5e3 } ], "logs": [ { "level" : "info" , "message" : "last" } ] }';
    expect((await post(server.url, body)).status).toBe(200);
    expect(await items(server.dataDir, 'logs')).toEqual([{ level: 'info', message: 'last', ...ours }]);
    expect(await items(server.dataDir, 'metrics')).toEqual([{ name: 'LCP', value: 1500, ...ours }]);
  });

  it('finds item spans only in the top-level logs, traces and metrics arrays', () => {
    const text = '{"resource":{"logs":[{"x":1}]},"logs":[{"a":"]"},{"b":[1,2]}],"traces":[]}';
    const spans = itemSpans(text)!;
    expect(spans.logs.length).toBe(4);
    expect(text.slice(spans.logs[0], spans.logs[1])).toBe('{"a":"]"}');
    expect(text.slice(spans.logs[2], spans.logs[3])).toBe('{"b":[1,2]}');
    expect(spans.traces).toEqual([]);
  });
});
