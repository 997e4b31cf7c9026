// Bugs the public-API fuzz (fuzz-public.test.ts) found, one test each.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import { safeOptions } from '../../src/telemetry/config.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { sanitize, sanitizeAttributes } from '../../src/telemetry/privacy.js';
import { telemetry } from '../../src/telemetry/singleton.js';
import { recordingTransport } from './helpers.js';

describe('sanitize reads only what it keeps', () => {
  it('takes a sparse new Array(1e9), a big Set and a big Map in milliseconds, counting the rest', () => {
    const bigSet = new Set(Array.from({ length: 200_000 }, (_, i) => i));
    const bigMap = new Map(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    const started = performance.now();
    const sparse = sanitize(new Array(1e9)) as unknown[];
    const set = sanitize(bigSet) as unknown[];
    const map = sanitize(bigMap) as Record<string, unknown>;
    // Copying every element first took 18 s for new Array(1e8) and ran out of memory at 1e9.
    expect(performance.now() - started).toBeLessThan(100);
    expect(sparse.at(-1)).toBe(`[${1e9 - (sparse.length - 1)} more]`);
    expect(sparse.slice(0, 3)).toEqual([null, null, null]);
    expect(set.slice(0, 3)).toEqual([0, 1, 2]);
    expect(set.at(-1)).toBe(`[${200_000 - (set.length - 1)} more]`);
    expect(map.k0).toBe(0);
    expect(map['…']).toBe(`${200_000 - (Object.keys(map).length - 1)} more keys`);
  });
});

describe('a __proto__ key', () => {
  it('stays an own key of a plain object, as JSON.parse made it, and is sent', async () => {
    const context = JSON.parse('{"__proto__":{"polluted":"yes"},"ok":1}') as Record<string, unknown>;
    const out = sanitizeAttributes(context);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'ok']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"yes"},"ok":1}');

    const wire = recordingTransport();
    const client = createTelemetry({
      sessionEvents: false,
      endpoint: '/ingest',
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    client.log('info', 'm', context);
    await client.flush();
    expect(JSON.stringify(wire.bodies[0]?.logs[0]?.context)).toBe('{"__proto__":{"polluted":"yes"},"ok":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('createTelemetry and configure with hostile options', () => {
  const boom = (): never => {
    throw new Error('boom');
  };

  it.each([
    ['null', () => null],
    ['a number', () => 7],
    [
      'a revoked proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    ['a proxy whose get throws', () => new Proxy({}, { get: boom })],
    ['patterns that are not patterns', () => ({ scrubPatterns: [/x/g, null, 'x', { pattern: 'x' }] })],
    ['patterns that are not a list', () => ({ scrubPatterns: 'x', allowKeys: 5 })],
  ])('does not throw for %s', (_, make) => {
    expect(() => createTelemetry(make() as never).log('info', 'x')).not.toThrow();
    expect(() => telemetry.configure(make() as never)).not.toThrow();
  });

  it('loses only the option whose getter throws', async () => {
    const wire = recordingTransport();
    const options = {
      sessionEvents: false,
      endpoint: '/ingest',
      transport: wire.transport,
      outbox: memoryOutbox(),
      app: 'kept',
    };
    Object.defineProperty(options, 'version', { enumerable: true, get: boom });
    const client = createTelemetry(options);
    client.log('info', 'delivered');
    await client.flush();
    expect(wire.bodies.map((b) => [b.resource.app, b.resource.version, b.logs[0]?.message])).toEqual([
      ['kept', '0.0.0', 'delivered'],
    ]);
  });

  it('copies every option TelemetryOptions declares, and nothing undefined', () => {
    const source = readFileSync('src/telemetry/config.ts', 'utf8');
    const body = /export interface TelemetryOptions \{([\s\S]*?)\n\}/.exec(source)![1]!;
    const names = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(30);
    const all = Object.fromEntries(
      names.map((name) => [name, name === 'scrubPatterns' || name === 'allowKeys' ? [] : 1]),
    );
    expect(Object.keys(safeOptions(all)).sort()).toEqual([...names].sort());
    expect(safeOptions({ endpoint: undefined, app: 'a' })).toEqual({ app: 'a' });
  });
});
