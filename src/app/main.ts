/**
 * The demo PWA: buttons that log, measure, trace, throw, reject, fetch and shift the layout, and a live
 * view of `telemetry.status()`. Telemetry is on only when the build enabled it
 * (`VITE_TELEMETRY_ENABLED=true` and an endpoint) and the `TELEMETRY` feature flag says yes
 * (`VITE_FEATURE_TELEMETRY`, see features.ts). The instrumentations are installed after `configure()`:
 * each checks once whether telemetry is on and installs nothing when it is off.
 */
import {
  createLogger,
  captureErrors,
  instrumentFetch,
  trackPageViews,
  trackWebVitals,
} from '../instrumentation/index.js';
import { telemetry, type TelemetryLevel } from '../telemetry/index.js';
import { APP_NAME, APP_VERSION } from './app-info.js';
import { requestDrainSync, watchDrainSync } from './background-sync.js';
import { isFeatureEnabled } from './features.js';
import { registerServiceWorker } from './register-sw.js';

telemetry.configure({
  featureFlag: () => isFeatureEnabled('TELEMETRY'),
  app: APP_NAME,
  version: APP_VERSION,
  // The demo asks first (the plans' privacy-first default): nothing is recorded before "Allow".
  consent: 'required',
  // Set only by end-to-end tests (an init script), to shorten retry backoff and timers.
  ...window.__telemetryTestOptions,
});

// The only global the app defines: end-to-end tests drive the app through it.
window.__telemetry = telemetry;

const logger = createLogger(telemetry, { level: import.meta.env.DEV ? 'debug' : 'info' });
trackWebVitals(telemetry);
captureErrors(telemetry);
instrumentFetch(telemetry, { endpoint: import.meta.env.VITE_TELEMETRY_ENDPOINT || '/ingest' });
// The views are hash routes (#/playground, #/delivery).
trackPageViews(telemetry, { hashRoutes: true });

const registration = registerServiceWorker();
watchDrainSync(telemetry, registration);

// --- Helpers ------------------------------------------------------------------------------------------

const $ = <T extends HTMLElement = HTMLElement>(id: string): T | null =>
  document.getElementById(id) as T | null;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks the main thread for about `ms`: a slow click handler, as real apps have (it shows up in INP). */
function busy(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) x += Math.sqrt(i);
  return x;
}

function show(id: string, text: string): void {
  const out = $(id);
  if (out) out.textContent = text;
}

let clicks = 0;

// --- Actions ------------------------------------------------------------------------------------------

/** A fake async task with two steps, traced as a parent span with a child span per step. */
async function runTask(): Promise<void> {
  const span = telemetry.startSpan('demo.task', { steps: 2 });
  show('task-result', 'Running…');
  const load = telemetry.startSpan('demo.task.load', {}, { parent: span });
  await sleep(120 + Math.random() * 80);
  load.end({ items: 3 });
  const compute = telemetry.startSpan('demo.task.compute', {}, { parent: span });
  const result = Math.round(busy(5));
  compute.end({ result });
  span.end({ ok: true });
  logger.info('Task finished', { traceId: span.traceId });
  show('task-result', `Done: trace ${span.traceId.slice(0, 8)}…`);
}

/** A failure nobody awaits: it becomes an unhandled rejection, which captureErrors reports. */
async function loadProfile(): Promise<void> {
  await sleep(10);
  throw new Error('Demo rejection: profile service unavailable');
}

async function callApi(): Promise<void> {
  show('api-result', 'Calling…');
  try {
    const response = await fetch(`/api/echo?click=${++clicks}`);
    const body = (await response.json()) as { traceparent?: string | null };
    logger.info('API answered', { status: response.status });
    show('api-result', `HTTP ${response.status}, traceparent ${body.traceparent ?? '(none)'}`);
  } catch (error) {
    logger.warn('API call failed', { error: String(error) });
    show('api-result', `Failed: ${String(error)}`);
  }
}

/**
 * Loads a "news" banner late and inserts it above the content, pushing everything down: the classic
 * layout shift. It lands well after the click, as a slow ad or consent banner does: shifts within
 * 500 ms of an input do not count towards CLS.
 */
async function loadNews(): Promise<void> {
  show('news-status', 'Loading news…');
  await sleep(700);
  const banner = document.createElement('aside');
  banner.className = 'news';
  banner.textContent = `Breaking: telemetry delivered exactly once (${new Date().toLocaleTimeString()})`;
  $('content')?.before(banner);
  show('news-status', 'News loaded above.');
  logger.info('News banner shown');
}

const actions: Record<string, () => void> = {
  'log-info': () => logger.info('Button clicked', { clicks: ++clicks }),
  'log-warn': () => logger.warn('Something looks odd', { clicks: ++clicks }),
  metric: () => logger.perf('DEMO_RENDER', { value: Math.round(5 + Math.random() * 20), view: 'demo' }),
  task: () => void runTask(),
  crunch: () => {
    const started = performance.now();
    const result = busy(80);
    telemetry.trace('demo.crunch', performance.now() - started, { result: Math.round(result) });
    show('crunch-result', `Crunched in ${Math.round(performance.now() - started)} ms`);
  },
  throw: () => {
    throw new Error('Demo error thrown from a click handler');
  },
  reject: () => void loadProfile(),
  fetch: () => void callApi(),
  news: () => void loadNews(),
  flush: () => void telemetry.flush(),
  export: () => void downloadQueued(),
  'clear-queue': () => void telemetry.clearQueued(),
  sync: () =>
    void registration
      .then(requestDrainSync)
      .then((ok) => show('sync-result', ok ? 'Sync registered' : 'Not available')),
};

for (const [id, action] of Object.entries(actions)) $(id)?.addEventListener('click', action);
$<HTMLSelectElement>('level')?.addEventListener('change', (e) =>
  telemetry.setLevel((e.target as HTMLSelectElement).value as TelemetryLevel),
);

/** What waits in the outbox, as a JSON file (air-gapped use: carry it to a machine that can send). */
async function downloadQueued(): Promise<void> {
  const json = await telemetry.exportQueued();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  link.download = `telemetry-${new Date().toISOString().slice(0, 10)}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// --- Consent ------------------------------------------------------------------------------------------

/** Asked once, on first run; the delivery view has a toggle to change the answer later. */
function showConsent(): void {
  const state = telemetry.consentState();
  const banner = $('consent');
  if (banner) banner.hidden = !telemetry.isConfigured() || state !== 'unknown';
  const toggle = $<HTMLInputElement>('consent-toggle');
  if (toggle) {
    toggle.checked = state === 'granted';
    toggle.disabled = !telemetry.isConfigured();
  }
}
const choose = (allow: boolean): void => {
  if (allow) telemetry.optIn();
  else telemetry.optOut();
  showConsent();
};
$('consent-allow')?.addEventListener('click', () => choose(true));
$('consent-deny')?.addEventListener('click', () => choose(false));
$<HTMLInputElement>('consent-toggle')?.addEventListener('change', (e) =>
  choose((e.target as HTMLInputElement).checked),
);
showConsent();

// --- Views --------------------------------------------------------------------------------------------

const VIEWS = ['playground', 'delivery'] as const;
type View = (typeof VIEWS)[number];

function showView(view: View): void {
  for (const v of VIEWS) {
    const section = $(`view-${v}`);
    if (section) section.hidden = v !== view;
    $(`nav-${v}`)?.setAttribute('aria-current', v === view ? 'page' : 'false');
  }
}

function currentView(): View {
  const name = location.hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'playground';
}

window.addEventListener('hashchange', () => {
  const view = currentView();
  showView(view);
  logger.debug('View shown', { view });
});
showView(currentView());

// --- Status -------------------------------------------------------------------------------------------

let worker = 'none';
void registration.then((r) => {
  worker = r ? 'active' : 'none';
});

function showStatus(): void {
  const s = telemetry.status();
  const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0);
  show(
    'status',
    [
      `enabled     ${s.enabled}`,
      `storage     ${s.storage}`,
      `buffered    ${s.buffered}`,
      `queued      ${s.queued}`,
      `in flight   ${s.inFlight}`,
      `sent        ${s.sent}`,
      `dropped     ${dropped.length ? dropped.map(([k, n]) => `${k}: ${n}`).join(', ') : 0}`,
      `last error  ${s.lastError ?? '-'}`,
      `network     ${navigator.onLine ? 'online' : 'offline'}`,
      `session     ${telemetry.getSessionId() || '-'}`,
      `worker      ${worker}`,
    ].join('\n'),
  );
}
showStatus();
setInterval(showStatus, 500);
