// @vitest-environment node
// A refusal sent before the body was read reaches Chromium's fetch as a readable status, not a
// network error (which the client would retry for ever). Skipped where no Chromium is installed.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../scripts/chromium.js';
import { cleanup, serve } from './harness.js';

afterEach(cleanup);

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM_PATH))('readable refusals in Chromium', () => {
  it('reads the 413 for a 6 MiB body and the 401 for a wrong token', async () => {
    const server = await serve({ token: 'right' });
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/health`);
      const outcomes = await page.evaluate(async () => {
        const send = async (size: number, token: string): Promise<string> => {
          try {
            const res = await fetch('/ingest', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', 'X-Telemetry-Token': token },
              body: ' '.repeat(size),
            });
            return `${res.status} ${await res.text()}`;
          } catch (error) {
            return `network error: ${String(error)}`;
          }
        };
        return [await send(6 * 2 ** 20, 'right'), await send(6 * 2 ** 20, 'wrong')];
      });
      expect(outcomes).toEqual([
        `413 ${JSON.stringify({ error: 'body exceeds 1048576 bytes' })}`,
        `401 ${JSON.stringify({ error: 'invalid token' })}`,
      ]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
