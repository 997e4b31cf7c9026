// @vitest-environment node
/**
 * "Costs nothing unless imported": no module statically reachable from the main entry (or the
 * instrumentation entry) is one of the OTLP or PostHog encoder modules. A dynamic `import()` is fine:
 * bundlers split it into its own chunk.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
// `import type` / `export type` are erased at build time, so they do not count.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(type\s)?(?:[^'"]*?from\s+)?'(\.[^']+)'/gm;

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, typeOnly, spec] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT))
      if (!typeOnly) visit(join(dirname(file), spec!.replace(/\.js$/, '.ts')));
  };
  visit(join(src, entry));
  return seen;
}

describe('encoder entries are separate', () => {
  const heavy = ['otlp.ts', 'otlp-map.ts', 'posthog.ts', 'uuid.ts'].map((f) =>
    join(src, 'telemetry/encoders', f),
  );

  it.each(['telemetry/index.ts', 'instrumentation/index.ts'])('%s reaches none of them', (entry) => {
    const files = reachable(entry);
    expect(files.size).toBeGreaterThan(5);
    for (const file of heavy) expect(files).not.toContain(file);
  });

  it('the walker does find them from their own entry', () => {
    expect(reachable('telemetry/encoders/otlp.ts')).toContain(heavy[1]);
    expect(reachable('telemetry/encoders/posthog.ts')).toContain(heavy[3]);
  });
});
