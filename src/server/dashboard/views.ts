/**
 * The dashboard API's answers over the store index, apart from HTTP: a view's name and query string
 * in, a status and JSON text out. With `serve --workers n` only the primary holds the index, so a
 * worker's dashboard sends it these two strings over the cluster channel and writes the text back
 * (cluster-worker.ts); in one process the handler calls this directly.
 */
import { errorsView } from './errors.js';
import { healthView } from './health.js';
import { logsView } from './logs.js';
import { metaView } from './meta.js';
import { parseQuery } from './query.js';
import type { StoreIndex } from './store-index.js';
import { traceView, tracesView } from './traces.js';
import { vitalsView } from './vitals.js';

export interface ViewAnswer {
  status: number;
  /** The JSON body, serialised where the index is, so it crosses the cluster channel as one string. */
  text: string;
}

/** Answers `/api/<view>?<search>` for a request that already passed the token check. */
export type AnswerView = (view: string, search: string) => Promise<ViewAnswer>;

export function indexViews(index: StoreIndex, now: () => number, auth: boolean): AnswerView {
  const ok = (body: unknown): ViewAnswer => ({ status: 200, text: JSON.stringify(body) });
  return async (view, search) => {
    const params = new URLSearchParams(search);
    index.touch();
    await index.refresh();
    const data = index.data;
    const query = parseQuery(params, data, now());
    if (view === 'meta') return ok(metaView(data, auth));
    if (view === 'vitals') return ok(vitalsView(data, query));
    if (view === 'logs') return ok(await logsView(index, query));
    if (view === 'errors') return ok(await errorsView(index, query));
    if (view === 'traces') return ok(tracesView(index, query));
    if (view === 'trace') return ok(await traceView(index, params.get('id') ?? ''));
    if (view === 'health') return ok(healthView(data, query));
    return { status: 404, text: JSON.stringify({ error: `no view ${view}` }) };
  };
}
