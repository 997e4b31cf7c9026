/** Serves the built dashboard front-end (`dist/dashboard`, made by `npm run build:dashboard`). */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root's dist/dashboard: at the same depth from src/server/dashboard and from
 * dist/server/dashboard. Under a test DOM `import.meta.url` may not be a file URL; the working
 * directory (the project root) stands in then.
 */
export function defaultStaticDir(): string {
  const url = new URL('../../../dist/dashboard/', import.meta.url);
  return url.protocol === 'file:' ? fileURLToPath(url) : join(process.cwd(), 'dist/dashboard/');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Writes the file at `rel` (a path under the dashboard) or a 404; never anything outside `dir`. */
export async function serveStatic(
  res: ServerResponse,
  dir: string,
  rel: string,
  headers: Record<string, string>,
): Promise<void> {
  const file = normalize(join(dir, rel === '' || rel === '/' ? 'index.html' : rel));
  const type = TYPES[extname(file)];
  if (!file.startsWith(normalize(dir + sep)) || type === undefined) return notFound(res, headers);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (rel === '' || rel === '/') {
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`The dashboard is not built: run \`npm run build:dashboard\` (looked in ${dir}).\n`);
      return;
    }
    return notFound(res, headers);
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': body.length,
    // Assets have content hashes in their names; the page itself must be revalidated.
    'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(body);
}

function notFound(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
}
