// The demo's `GET /api/echo` answer, shared by the dev/preview servers (vite.config.ts) and the e2e app
// server (e2e/app-server.ts): what the request carried, including the W3C `traceparent` header.

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {string} the JSON body
 */
export function echoBody(req) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return JSON.stringify({
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    traceparent: req.headers.traceparent ?? null,
    receivedAt: new Date().toISOString(),
  });
}
