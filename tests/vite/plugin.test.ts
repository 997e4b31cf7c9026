// @vitest-environment node
/** The Vite plugin on real dev and preview servers: /ingest stores, /dashboard answers; builds stay clean. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import defaultExport, { telemetry } from '../../src/vite/index.js';

let dirs: string[] = [];
let servers: (ViteDevServer | PreviewServer)[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  servers = [];
  dirs = [];
});

/** A minimal app: one page and one module. */
async function project(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pwa-telemetry-vite-'));
  dirs.push(root);
  await writeFile(join(root, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script>');
  await writeFile(join(root, 'main.js'), 'document.title = "app";\n');
  return root;
}

const body = {
  batchId: 'vite-1',
  resource: { app: 'demo', version: '1.0.0' },
  session: { id: 's' },
  logs: [{ timestamp: new Date().toISOString(), level: 'info', message: 'from vite', context: {} }],
};

async function ingest(url: string, token?: string): Promise<Response> {
  return fetch(new URL('/ingest', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Telemetry-Token': token } : {}) },
    body: JSON.stringify(body),
  });
}

describe('pwa-telemetry/vite', () => {
  it('is the default export too, as Vite users import it', () => {
    expect(defaultExport).toBe(telemetry);
    expect(telemetry().apply).toBe('serve');
  });

  it('mounts /ingest and /dashboard on the dev server', async () => {
    const root = await project();
    const dataDir = join(root, 'data');
    const server = await createServer({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [telemetry({ dataDir, token: 't0ken' })],
      server: { port: 0, host: '127.0.0.1' },
    });
    servers.push(server);
    await server.listen();
    const url = server.resolvedUrls!.local[0]!;
    expect((await ingest(url)).status).toBe(401);
    expect((await ingest(url, 't0ken')).status).toBe(200);
    const stored = await readFile(
      join(dataDir, 'logs', `${new Date().toISOString().slice(0, 10)}.jsonl`),
      'utf8',
    );
    expect(stored).toContain('from vite');
    expect((await fetch(new URL('/dashboard/api/meta', url))).status).toBe(401);
    const meta = await fetch(new URL('/dashboard/api/logs', url), {
      headers: { 'X-Telemetry-Token': 't0ken' },
    });
    expect(((await meta.json()) as { total: number }).total).toBe(1);
    // The app itself is still served by Vite.
    expect(await (await fetch(url)).text()).toContain('main.js');
  });

  it('adds nothing to build output, and mounts on vite preview', async () => {
    const root = await project();
    const outDir = join(root, 'dist');
    await build({ root, configFile: false, logLevel: 'silent', plugins: [telemetry()], build: { outDir } });
    const files = await readdir(outDir, { recursive: true });
    expect(files.filter((f) => f.endsWith('.js') || f.endsWith('.html')).length).toBe(2);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      expect(await readFile(join(outDir, file), 'utf8')).not.toMatch(/ingest|dashboard|telemetry/);
    }

    const dataDir = join(root, 'data');
    const server = await preview({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [telemetry({ dataDir })],
      build: { outDir },
      preview: { port: 0, host: '127.0.0.1' },
    });
    servers.push(server);
    const url = server.resolvedUrls!.local[0]!;
    expect((await ingest(url)).status).toBe(200);
    const logs = await fetch(new URL('/dashboard/api/logs', url));
    expect(((await logs.json()) as { total: number }).total).toBe(1);
  });
});
