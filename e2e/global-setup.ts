/**
 * Builds the demo app once per variant (e2e/variants.ts) into a temporary directory, with telemetry
 * settings in `VITE_*` env at build time, as a real deploy sets them. Each test then serves its
 * variant next to its own ingest server (e2e/fixtures.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { BUILDS_ENV, VARIANTS, type Variant } from './variants.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// eslint-disable-next-line no-restricted-syntax -- Playwright runs the default export.
export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'pwa-telemetry-e2e-'));
  // Only the variant's own settings: none from the shell (Vite lets process.env override .env files).
  const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('VITE_')));
  for (const key of Object.keys(saved)) delete process.env[key];
  try {
    for (const [variant, env] of Object.entries(VARIANTS) as [Variant, Record<string, string>][]) {
      Object.assign(process.env, env);
      await build({
        root,
        // No .env files either: a developer's .env must not change what the tests run against.
        envDir: false,
        mode: 'production',
        logLevel: 'warn',
        build: { outDir: join(dir, variant), emptyOutDir: true },
      });
      for (const key of Object.keys(env)) delete process.env[key];
    }
  } finally {
    Object.assign(process.env, saved);
  }
  process.env[BUILDS_ENV] = dir;
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
