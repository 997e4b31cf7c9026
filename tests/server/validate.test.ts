// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ITEMS, validateBody } from '../../src/server/index.js';
import { batch, cleanup, lines, post, serve } from './harness.js';

afterEach(cleanup);

function reason(body: unknown): string | undefined {
  const result = validateBody(body);
  return result.ok ? undefined : result.reason;
}

describe('validateBody', () => {
  it('accepts a full native body and keeps every item field', () => {
    const input = batch('b1');
    const result = validateBody(input);
    if (!result.ok) throw new Error(result.reason);
    expect(result.body.logs).toEqual(input.logs);
    expect(result.body.traces).toEqual(input.traces);
    expect(result.body.metrics).toEqual(input.metrics);
  });

  it('accepts a batch with no items and treats absent lists as empty', () => {
    expect(validateBody({ batchId: 'b1' })).toEqual({
      ok: true,
      body: { batchId: 'b1', logs: [], traces: [], metrics: [] },
    });
  });

  it('drops unknown top-level fields, the token among them', () => {
    const result = validateBody(batch('b1', { token: 'secret', extra: 1 }));
    expect(result.ok && Object.keys(result.body).sort()).toEqual([
      'batchId',
      'logs',
      'metrics',
      'resource',
      'session',
      'traces',
    ]);
  });

  it.each([
    [[], 'body must be a JSON object'],
    [null, 'body must be a JSON object'],
    [{}, 'batchId must be a string'],
    [{ batchId: '' }, 'batchId must be 1 to 128 characters of A-Z a-z 0-9 _ -'],
    [{ batchId: 'a/b' }, 'batchId must be 1 to 128 characters of A-Z a-z 0-9 _ -'],
    [{ batchId: 'x'.repeat(129) }, 'batchId must be 1 to 128 characters of A-Z a-z 0-9 _ -'],
    [{ batchId: 'b', logs: {} }, 'logs must be an array'],
    [{ batchId: 'b', logs: [null] }, 'logs[0] must be an object'],
    [{ batchId: 'b', logs: [{ level: 'info' }] }, 'logs[0].message must be a string'],
    [
      { batchId: 'b', logs: [{ message: 'm', level: 'trace' }] },
      'logs[0].level must be one of debug, info, warn, error',
    ],
    [{ batchId: 'b', metrics: [{ value: 1 }] }, 'metrics[0].name must be a string'],
    [{ batchId: 'b', metrics: [{ name: 'n', value: '1' }] }, 'metrics[0].value must be a finite number'],
    [
      { batchId: 'b', traces: [{ spanId: 's', name: 'n', duration: 1 }] },
      'traces[0].traceId must be a string',
    ],
    [
      { batchId: 'b', traces: [{ traceId: 't', name: 'n', duration: 1 }] },
      'traces[0].spanId must be a string',
    ],
    [
      { batchId: 'b', traces: [{ traceId: 't', spanId: 's', duration: 1 }] },
      'traces[0].name must be a string',
    ],
    [
      { batchId: 'b', traces: [{ traceId: 't', spanId: 's', name: 'n' }] },
      'traces[0].duration must be a finite number',
    ],
    [{ batchId: 'b', session: 'abc' }, 'session must be an object'],
    [{ batchId: 'b', session: { id: 7 } }, 'session.id must be a string'],
    [{ batchId: 'b', resource: [] }, 'resource must be an object'],
  ])('refuses %j: %s', (body, expected) => {
    expect(reason(body)).toBe(expected);
  });

  it('refuses a metric value that JSON parses to Infinity', () => {
    expect(reason(JSON.parse('{"batchId":"b","metrics":[{"name":"n","value":1e999}]}'))).toBe(
      'metrics[0].value must be a finite number',
    );
  });

  it(`allows ${MAX_ITEMS} items and refuses one more`, () => {
    const metric = { name: 'n', value: 1 };
    expect(validateBody({ batchId: 'b', metrics: Array(MAX_ITEMS).fill(metric) }).ok).toBe(true);
    expect(reason({ batchId: 'b', logs: [], metrics: Array(MAX_ITEMS + 1).fill(metric) })).toBe(
      'batch has 10001 items, at most 10000 are allowed',
    );
  });
});

describe('validation in the server', () => {
  it('answers 400 with the reason and stores nothing from the batch', async () => {
    const server = await serve();
    const metrics = [{ name: 'ok', value: 1 }, { name: 'bad' }];
    const res = await post(server.url, batch('b1', { metrics }));
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'metrics[1].value must be a finite number' },
    ]);
    expect(await lines(server.dataDir, 'logs')).toEqual([]);
    expect(await lines(server.dataDir, 'metrics')).toEqual([]);
  });

  it('answers 400 for a batch over the item cap', async () => {
    const server = await serve({ maxBodyBytes: 10_000_000 });
    const res = await post(server.url, {
      batchId: 'big',
      metrics: Array(MAX_ITEMS + 1).fill({ name: 'n', value: 1 }),
    });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'batch has 10001 items, at most 10000 are allowed' },
    ]);
  });
});
