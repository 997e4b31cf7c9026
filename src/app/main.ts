/**
 * The demo PWA: a few buttons that feed the telemetry client and a live view of its status.
 * Telemetry is on only when the build enabled it (`VITE_TELEMETRY_ENABLED=true` and an endpoint)
 * and the `TELEMETRY` feature flag says yes (`VITE_FEATURE_TELEMETRY`, see features.ts).
 */
import { version as packageVersion } from '../../package.json';
import { telemetry } from '../telemetry/index.js';
import { isFeatureEnabled } from './features.js';

telemetry.configure({
  featureFlag: () => isFeatureEnabled('TELEMETRY'),
  app: import.meta.env.VITE_TELEMETRY_APP || 'pwa-telemetry-demo',
  version: import.meta.env.VITE_TELEMETRY_VERSION || packageVersion,
});

// The only global the app defines: end-to-end tests drive the app through it.
window.__telemetry = telemetry;

// Uncaught errors, until the errors instrumentation exists (src/instrumentation/errors.ts).
window.addEventListener('error', (event) => telemetry.exception(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => telemetry.exception(event.reason));

let clicks = 0;

const actions: Record<string, () => void> = {
  'log-info': () => telemetry.log('info', 'Button clicked', { clicks: ++clicks }),
  'log-error': () => telemetry.log('error', 'Something went wrong', { clicks: ++clicks }),
  metric: () => telemetry.metric('demo.clicks', ++clicks, { source: 'button' }),
  trace: () => {
    const started = performance.now();
    // Some synchronous work to time.
    let x = 0;
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
    telemetry.trace('demo.work', performance.now() - started, { result: Math.round(x) });
  },
  throw: () => {
    throw new Error('Demo error thrown from a click handler');
  },
  flush: () => void telemetry.flush(),
};

for (const [id, action] of Object.entries(actions)) {
  document.getElementById(id)?.addEventListener('click', action);
}

const statusView = document.getElementById('status');
function showStatus(): void {
  if (statusView) statusView.textContent = JSON.stringify(telemetry.status(), null, 2);
}
showStatus();
setInterval(showStatus, 500);
