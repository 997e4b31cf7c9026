/**
 * Test fixtures: each test gets its own real ingest server (fresh data dir under the test's output
 * directory) and its own server for one build of the demo app, which forwards `/ingest` to it; the
 * page fails the test if it throws anything uncaught.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { startServer } from '../src/server/index.js';
import { startAppServer, type AppServer } from './app-server.js';
import { buildDir, E2E_TOKEN, type Variant } from './variants.js';

export { expect };

export type Kind = 'logs' | 'traces' | 'metrics';

/** One JSONL line as the ingest server stored it. */
export type StoredLine = Record<string, unknown> & {
  batch_id: string;
  session_id: string;
  received_at: string;
};

export interface Ingest {
  url: string;
  dataDir: string;
  /** Every line stored so far under `<dataDir>/<kind>/*.jsonl`, read from disk. */
  lines(kind: Kind): Promise<StoredLine[]>;
}

interface Fixtures {
  /** Which build of the demo app the test runs against. */
  variant: Variant;
  ingest: Ingest;
  app: AppServer;
  /** Uncaught errors and unhandled rejections of every page of the test, checked to be none at the end. */
  pageErrors: Error[];
}

export async function readLines(dataDir: string, kind: Kind): Promise<StoredLine[]> {
  let files: string[];
  try {
    files = (await readdir(join(dataDir, kind))).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const lines: StoredLine[] = [];
  for (const file of files) {
    const text = await readFile(join(dataDir, kind, file), 'utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as StoredLine);
  }
  return lines;
}

export const test = base.extend<Fixtures>({
  variant: ['enabled', { option: true }],

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the destructuring even when empty.
  ingest: async ({}, use, testInfo) => {
    const dataDir = testInfo.outputPath('ingest-data');
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      token: E2E_TOKEN,
      // Every test's requests come from 127.0.0.1; the default limit is not what is under test.
      rateLimit: { requests: 100_000, perMs: 60_000 },
      onError: (error) => console.error('[ingest]', error),
    });
    await use({ url: server.url, dataDir, lines: (kind) => readLines(dataDir, kind) });
    await server.close();
  },

  app: async ({ variant, ingest }, use) => {
    const server = await startAppServer(buildDir(variant), ingest.url);
    await use(server);
    await server.close();
  },

  pageErrors: [
    async ({ context }, use) => {
      const errors: Error[] = [];
      const watch = (page: Page): void => void page.on('pageerror', (error) => errors.push(error));
      context.pages().forEach(watch);
      context.on('page', watch);
      await use(errors);
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

/** Opens the app and waits until its telemetry client has started. */
export async function openApp(page: Page, app: AppServer): Promise<void> {
  await page.goto(app.url);
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
}

/** Messages of stored log lines. */
export function messages(lines: StoredLine[]): unknown[] {
  return lines.map((l) => l.message);
}
