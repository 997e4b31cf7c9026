/**
 * The filters every view shares (time range, app version, session, live), kept in the URL's hash
 * next to the view name (`#logs?range=1h&version=1.2.0`) so a view can be linked and reloaded.
 */

export const RANGES: [string, number][] = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
  ['30d', 30 * 86_400_000],
  ['all', 0],
];

export interface State {
  view: string;
  range: string;
  version: string;
  session: string;
  live: boolean;
  /** View-specific parameters (log search, page, trace id). */
  extra: URLSearchParams;
}

const SHARED = ['range', 'version', 'session', 'live'];

export function readState(): State {
  const [view = '', query = ''] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  const extra = new URLSearchParams();
  for (const [k, v] of params) if (!SHARED.includes(k)) extra.set(k, v);
  return {
    view: view || 'vitals',
    range: RANGES.some(([r]) => r === params.get('range')) ? params.get('range')! : '24h',
    version: params.get('version') ?? '',
    session: params.get('session') ?? '',
    live: params.get('live') === '1',
    extra,
  };
}

export function writeState(state: State): void {
  const hash = hashOf(state);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** A link to `state` with some shared filters changed (a session in a log row, say). */
export function linkTo(state: State, change: Partial<Pick<State, 'view' | 'session' | 'version'>>): string {
  return hashOf({ ...state, ...change, extra: change.view ? new URLSearchParams() : state.extra });
}

function hashOf(state: State): string {
  const params = new URLSearchParams();
  if (state.range !== '24h') params.set('range', state.range);
  if (state.version) params.set('version', state.version);
  if (state.session) params.set('session', state.session);
  if (state.live) params.set('live', '1');
  for (const [k, v] of state.extra) params.set(k, v);
  const query = params.toString();
  return `#${state.view}${query ? `?${query}` : ''}`;
}

/** The API query for the state, the time range ending now. */
export function apiParams(state: State, now = Date.now()): URLSearchParams {
  const span = RANGES.find(([r]) => r === state.range)?.[1] ?? 86_400_000;
  const params = new URLSearchParams({ from: String(span === 0 ? 0 : now - span), to: String(now) });
  if (state.version) params.set('version', state.version);
  if (state.session) params.set('session', state.session);
  for (const [k, v] of state.extra) params.set(k, v);
  return params;
}
