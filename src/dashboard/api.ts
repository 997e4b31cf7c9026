/** Talks to the dashboard API (same origin, relative to the page, so any mount path works). */

/** The server has a token and this browser has not logged in (or its cookie is stale). */
export class LoginRequired extends Error {
  override name = 'LoginRequired';
}

export async function api<T>(view: string, params: URLSearchParams): Promise<T> {
  const res = await fetch(`api/${view}?${params.toString()}`, { credentials: 'same-origin' });
  if (res.status === 401) throw new LoginRequired('login required');
  if (!res.ok) throw new Error(`${view}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Posts the token as a form field (never in a URL); the server answers with an HttpOnly cookie. */
export async function login(token: string): Promise<boolean> {
  const res = await fetch('login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
    credentials: 'same-origin',
  });
  return res.ok;
}
