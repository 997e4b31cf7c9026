// @vitest-environment node
/** Dashboard access when the server has a token: login cookie or header, never readable cross-origin. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, serve } from './harness.js';

afterEach(cleanup);

const TOKEN = 's3cret-token';

function login(url: string, token: string, origin?: string): Promise<Response> {
  return fetch(`${url}/dashboard/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(origin ? { Origin: origin } : {}) },
    body: new URLSearchParams({ token }).toString(),
  });
}

describe('dashboard access', () => {
  it('needs the token when the server has one; a login sets an HttpOnly SameSite=Strict cookie', async () => {
    const server = await serve({ token: TOKEN });
    const api = `${server.url}/dashboard/api/meta`;
    expect((await fetch(api)).status).toBe(401);
    expect((await login(server.url, 'wrong')).status).toBe(401);

    const ok = await login(server.url, TOKEN);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/dashboard/);
    // The cookie is derived from the token, not the token itself.
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    const meta = await fetch(api, { headers: { Cookie: session } });
    expect(meta.status).toBe(200);
    expect(((await meta.json()) as { auth: boolean }).auth).toBe(true);
    expect((await fetch(api, { headers: { Cookie: `${session}x` } })).status).toBe(401);
    expect((await fetch(api, { headers: { 'X-Telemetry-Token': TOKEN } })).status).toBe(200);
    expect((await fetch(api, { headers: { 'X-Telemetry-Token': 'nope' } })).status).toBe(401);
  });

  it('sends no CORS headers, refuses framing and cross-origin logins', async () => {
    const server = await serve({ token: TOKEN });
    const res = await fetch(`${server.url}/dashboard/api/meta`, {
      headers: { Origin: 'https://evil.example', 'X-Telemetry-Token': TOKEN },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect((await login(server.url, TOKEN, 'https://evil.example')).status).toBe(403);
    const preflight = await fetch(`${server.url}/dashboard/api/meta`, { method: 'OPTIONS' });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is open without a token on a local address only (no DNS rebinding)', async () => {
    const server = await serve();
    expect((await fetch(`${server.url}/dashboard/api/meta`)).status).toBe(200);
    const rebound = await new Promise<number>((resolve, reject) => {
      // fetch() will not send a forged Host header; node:http will.
      const req = request(
        `${server.url}/dashboard/api/meta`,
        { headers: { Host: 'evil.example:80' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject).end();
    });
    expect(rebound).toBe(403);
  });

  it('redirects /dashboard to /dashboard/ and serves nothing outside its folder', async () => {
    const server = await serve();
    const res = await fetch(`${server.url}/dashboard`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/dashboard/');
    const traversal = await fetch(`${server.url}/dashboard/..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);
  });
});
