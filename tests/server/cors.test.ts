// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { OptionsError, parseServeArgs, resolveOptions } from '../../src/server/index.js';
import { batch, cleanup, lines, post, serve } from './harness.js';

afterEach(cleanup);

/** The CORS headers of an answer to a POST (or a preflight) sent with `origin`. */
async function corsOf(url: string, origin: string | undefined, method: 'POST' | 'OPTIONS' = 'POST') {
  const headers: Record<string, string> = origin === undefined ? {} : { Origin: origin };
  const res =
    method === 'POST'
      ? await post(url, batch(`b-${Math.random().toString(36).slice(2)}`), { headers })
      : await fetch(`${url}/ingest`, { method, headers });
  return {
    status: res.status,
    allow: res.headers.get('access-control-allow-origin'),
    vary: res.headers.get('vary'),
    expose: res.headers.get('access-control-expose-headers'),
  };
}

describe('--cors-origin with a list of origins', () => {
  const list = 'https://app.example, https://Beta.App.example/';

  it('echoes an Origin in the list, with Vary: Origin, on answers and preflights', async () => {
    const server = await serve({ corsOrigin: list });
    for (const method of ['POST', 'OPTIONS'] as const) {
      expect(await corsOf(server.url, 'https://app.example', method)).toMatchObject({
        allow: 'https://app.example',
        vary: 'Origin',
      });
      expect(await corsOf(server.url, 'https://beta.app.example', method)).toMatchObject({
        allow: 'https://beta.app.example',
        vary: 'Origin',
      });
    }
    expect((await corsOf(server.url, 'https://app.example')).expose).toBe('Retry-After');
  });

  it('names no origin for one outside the list or for a request without Origin, and still stores', async () => {
    const server = await serve({ corsOrigin: list });
    for (const origin of [
      'https://evil.example',
      'https://app.example.evil',
      'null',
      'http://app.example',
      undefined,
    ]) {
      for (const method of ['POST', 'OPTIONS'] as const) {
        const cors = await corsOf(server.url, origin, method);
        expect(cors, `${method} from ${origin}`).toMatchObject({ allow: null, vary: 'Origin' });
      }
    }
    // CORS decides what a page may read, not what is stored: the token does that.
    expect(await lines(server.dataDir, 'logs')).toHaveLength(5);
  });

  it('keeps "*" as before: any origin, no Vary', async () => {
    const server = await serve({ corsOrigin: '*' });
    expect(await corsOf(server.url, 'https://anything.example')).toMatchObject({ allow: '*', vary: null });
    expect(await corsOf(server.url, undefined, 'OPTIONS')).toMatchObject({ allow: '*', vary: null });
  });

  it('reads the list from the flag and TELEMETRY_CORS_ORIGIN', () => {
    expect(parseServeArgs(['--cors-origin', 'https://a.example,https://b.example:8443'], {}).corsOrigin).toBe(
      'https://a.example,https://b.example:8443',
    );
    expect(
      parseServeArgs([], { TELEMETRY_CORS_ORIGIN: 'https://a.example,https://b.example' }).corsOrigin,
    ).toBe('https://a.example,https://b.example');
  });

  it.each([
    ['https://a.example/path', '--cors-origin: "https://a.example/path" is not an origin'],
    ['a.example', '--cors-origin: "a.example" is not an origin'],
    ['*,https://a.example', '--cors-origin: "*" allows every origin and cannot be listed with others'],
    [' , ', '--cors-origin: expected * or a comma-separated list of origins'],
  ])('refuses %j', (value, message) => {
    expect(() => parseServeArgs(['--cors-origin', value], {})).toThrow(OptionsError);
    expect(() => parseServeArgs(['--cors-origin', value], {})).toThrow(message);
  });

  it('refuses a bad list given as an option too', () => {
    expect(() => resolveOptions({ corsOrigin: 'https://a.example/x' })).toThrow(
      'corsOrigin: "https://a.example/x" is not an origin',
    );
  });
});
