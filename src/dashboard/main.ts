/** The dashboard page: tabs, shared filters, live mode, and the login form when the server wants one. */
import './style.css';
import { api, login, LoginRequired } from './api.js';
import { disposeChartsOutside } from './chart.js';
import { RANGES, readState, writeState, type State } from './filters.js';
import { esc, field, time } from './format.js';
import { renderErrors } from './views/errors.js';
import { renderHealth } from './views/health.js';
import { renderLogs } from './views/logs.js';
import { renderTraces } from './views/traces.js';
import { renderVitals } from './views/vitals.js';
import type { MetaResponse } from '../server/dashboard/api-types.js';

/** @default 3000 ms between refreshes in live mode */
const LIVE_MS = 3000;

type Render = (
  el: HTMLElement,
  state: State,
  update: (extra: Record<string, string>) => void,
) => Promise<void>;
const VIEWS: Record<string, Render> = {
  vitals: renderVitals,
  logs: renderLogs,
  errors: renderErrors,
  traces: renderTraces,
  health: renderHealth,
};

const view = document.querySelector<HTMLElement>('#view')!;
const filters = document.querySelector<HTMLFormElement>('#filters')!;
const status = document.querySelector<HTMLElement>('#status')!;
let state = readState();
let liveTimer: ReturnType<typeof setInterval> | undefined;
let rendering = 0;

const rangeSelect = filters.elements.namedItem('range') as HTMLSelectElement;
rangeSelect.innerHTML = RANGES.map(
  ([r]) => `<option value="${r}">${r === 'all' ? 'all time' : `last ${r}`}</option>`,
).join('');

function syncForm(): void {
  rangeSelect.value = state.range;
  (filters.elements.namedItem('version') as HTMLSelectElement).value = state.version;
  (filters.elements.namedItem('session') as HTMLInputElement).value = state.session;
  (filters.elements.namedItem('live') as HTMLInputElement).checked = state.live;
  for (const tab of document.querySelectorAll<HTMLAnchorElement>('#tabs a')) {
    tab.classList.toggle('active', tab.dataset.view === state.view);
  }
}

async function loadMeta(): Promise<void> {
  const meta = await api<MetaResponse>('meta', new URLSearchParams());
  const select = filters.elements.namedItem('version') as HTMLSelectElement;
  select.innerHTML = `<option value="">all</option>${meta.versions.map((v) => `<option>${esc(v)}</option>`).join('')}`;
  if (meta.auth && !document.querySelector('#logout')) {
    const button = document.createElement('button');
    button.id = 'logout';
    button.textContent = 'Log out';
    button.addEventListener('click', () => {
      void fetch('logout', { method: 'POST', credentials: 'same-origin' }).then(() => location.reload());
    });
    document.querySelector('header')!.append(button);
  }
  document.querySelector('#sessions')!.innerHTML = meta.sessions
    .map((s) => `<option value="${esc(s.id)}">`)
    .join('');
  syncForm();
}

/** Renders the current view; a newer render started meanwhile wins. */
async function render(): Promise<void> {
  const mine = ++rendering;
  writeState(state);
  syncForm();
  status.textContent = 'loading…';
  const el = document.createElement('div');
  // Attached (hidden) before drawing, so charts can measure their width.
  el.className = 'pending';
  view.append(el);
  try {
    await (VIEWS[state.view] ?? renderVitals)(el, state, (extra) => {
      for (const [k, v] of Object.entries(extra)) {
        if (v === '') state.extra.delete(k);
        else state.extra.set(k, v);
      }
      void render();
    });
    if (mine !== rendering) return el.remove();
    disposeChartsOutside(el);
    view.replaceChildren(el);
    el.className = '';
    status.textContent = `${state.live ? 'live · ' : ''}updated ${time(Date.now())}`;
    status.dataset.ready = String(mine);
  } catch (error) {
    el.remove();
    if (error instanceof LoginRequired) return showLogin();
    status.textContent = `error: ${(error as Error).message}`;
  }
}

function showLogin(): void {
  stopLive();
  view.innerHTML = `<form class="card login" id="login"><h2>Log in</h2>
    <p class="muted">This server has a token. Enter it to see its data; it is kept in an HttpOnly cookie, never in the URL.</p>
    <input name="token" type="password" autocomplete="current-password" placeholder="token" required />
    <button>Log in</button><p class="error" role="alert"></p></form>`;
  status.textContent = '';
  const form = view.querySelector<HTMLFormElement>('#login')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = field(new FormData(form), 'token');
    void login(token).then((ok) => {
      if (!ok) {
        form.querySelector('.error')!.textContent = 'Wrong token.';
        return;
      }
      void start();
    });
  });
}

function stopLive(): void {
  clearInterval(liveTimer);
  liveTimer = undefined;
}

function applyLive(): void {
  stopLive();
  if (state.live) liveTimer = setInterval(() => void render(), LIVE_MS);
}

filters.addEventListener('change', () => {
  const form = new FormData(filters);
  state = {
    ...state,
    range: field(form, 'range'),
    version: field(form, 'version'),
    session: field(form, 'session').trim(),
    live: form.get('live') !== null,
  };
  state.extra.delete('page');
  applyLive();
  void render();
});
filters.addEventListener('submit', (event) => event.preventDefault());
for (const tab of document.querySelectorAll<HTMLAnchorElement>('#tabs a')) {
  tab.addEventListener('click', (event) => {
    event.preventDefault();
    // The filters carry over to the next view; view-specific parameters do not.
    state = { ...state, view: tab.dataset.view!, extra: new URLSearchParams() };
    void render();
  });
}
// Back/forward or an edited URL.
window.addEventListener('hashchange', () => {
  state = readState();
  applyLive();
  void render();
});

async function start(): Promise<void> {
  applyLive();
  // The filter choices and the view load side by side: the first render does not wait for meta.
  const meta = loadMeta().catch((error: unknown) => {
    // The view's own request shows the login form; any other failure only leaves the lists empty.
    if (!(error instanceof LoginRequired)) status.textContent = `error: ${(error as Error).message}`;
  });
  await Promise.all([meta, render()]);
}

void start();
