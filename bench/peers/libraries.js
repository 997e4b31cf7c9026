// The libraries the peers bench compares: each one's entry under bench/peers/ (imports and configures
// it, returns the Adapter of types.js), the package whose installed version is reported, and how it
// is bundled for the size and for the page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * @typedef {object} Library
 * @property {string} id short name, also the entry's file name
 * @property {string} name as shown in BENCHMARKS.md
 * @property {string} pkg the package whose version is reported
 * @property {string} entry the entry, relative to the repository
 * @property {string[]} dedupe packages resolved once (see scripts/size.js bundle())
 */

/** @type {Library[]} */
export const LIBRARIES = [
  { id: 'ours', name: 'pwa-telemetry', pkg: '', entry: 'bench/peers/ours.js', dedupe: [] },
  {
    id: 'faro',
    name: 'Grafana Faro',
    pkg: '@grafana/faro-web-sdk',
    entry: 'bench/peers/faro.js',
    dedupe: [],
  },
  {
    id: 'otel',
    name: 'OpenTelemetry JS',
    pkg: '@opentelemetry/sdk-trace-web',
    entry: 'bench/peers/otel.js',
    // The exporters of the project's versions nest other patch versions of core, resources and the
    // SDKs; an app that lines its versions up ships one copy of each.
    dedupe: [
      '@opentelemetry/api',
      '@opentelemetry/api-logs',
      '@opentelemetry/core',
      '@opentelemetry/resources',
      '@opentelemetry/sdk-logs',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/sdk-trace',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/otlp-exporter-base',
      '@opentelemetry/otlp-transformer',
    ],
  },
  { id: 'sentry', name: 'Sentry', pkg: '@sentry/browser', entry: 'bench/peers/sentry.js', dedupe: [] },
  { id: 'posthog', name: 'PostHog', pkg: 'posthog-js', entry: 'bench/peers/posthog.js', dedupe: [] },
];

/**
 * The installed version of a library's package (ours: this repository's).
 * @param {Library} lib
 * @returns {string}
 */
export function versionOf(lib) {
  const file = lib.pkg ? require.resolve(`${lib.pkg}/package.json`) : `${root}/package.json`;
  /** @type {unknown} */
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const v = typeof json === 'object' && json !== null && 'version' in json ? json.version : undefined;
  return typeof v === 'string' ? v : 'unknown';
}

/**
 * Versions as shown in BENCHMARKS.md: the main package's, and for OpenTelemetry each package's.
 * @param {Library} lib
 */
export function versionsOf(lib) {
  if (lib.id !== 'otel') return versionOf(lib);
  const pkgs = [
    '@opentelemetry/sdk-trace-web',
    '@opentelemetry/sdk-logs',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/exporter-logs-otlp-http',
    '@opentelemetry/exporter-metrics-otlp-http',
    '@opentelemetry/exporter-trace-otlp-http',
  ];
  return pkgs.map((p) => `${p.replace('@opentelemetry/', '')} ${versionOf({ ...lib, pkg: p })}`).join(', ');
}
