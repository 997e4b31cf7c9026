/** Traces: slowest span names (p50/p95) and the waterfall of one trace. */
import { api } from '../api.js';
import { apiParams, type State } from '../filters.js';
import { count, esc, field, value } from '../format.js';
import type { TraceResponse, TracesResponse, WaterfallSpan } from '../../server/dashboard/api-types.js';

export async function renderTraces(
  el: HTMLElement,
  state: State,
  update: (extra: Record<string, string>) => void,
): Promise<void> {
  const traceId = state.extra.get('trace') ?? '';
  const params = apiParams(state);
  params.delete('trace');
  const [data, trace] = await Promise.all([
    api<TracesResponse>('traces', params),
    traceId ? api<TraceResponse>('trace', new URLSearchParams({ id: traceId })) : Promise.resolve(undefined),
  ]);
  el.innerHTML = `
    <section class="card"><h2>Slowest spans by name</h2>
      <table class="spans"><thead><tr><th>span</th><th class="num">count</th><th class="num">p50</th><th class="num">p95</th><th class="num">max</th><th>slowest trace</th></tr></thead>
      <tbody>${data.spans
        .map(
          (s, i) => `<tr data-testid="span-${i}"><td>${esc(s.name)}</td><td class="num">${count(s.count)}</td>
          <td class="num" data-testid="span-p50-${i}">${value(s.p50)}</td><td class="num" data-testid="span-p95-${i}">${value(s.p95)}</td>
          <td class="num">${value(s.max)}</td><td><a href="#" data-trace="${esc(s.slowestTraceId)}" class="mono">${esc(s.slowestTraceId.slice(0, 12))}…</a></td></tr>`,
        )
        .join('')}</tbody></table>
      ${data.spans.length ? '' : '<p class="empty">No spans in this range.</p>'}
    </section>
    <section class="card"><h2>Trace waterfall</h2>
      <form class="search" data-testid="trace-form"><input name="trace" class="mono" size="36" placeholder="trace id" value="${esc(traceId)}" /><button>Show</button></form>
      ${trace ? waterfall(trace) : '<p class="muted">Pick a trace above, or paste a trace id.</p>'}
    </section>`;
  for (const link of el.querySelectorAll<HTMLAnchorElement>('[data-trace]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      update({ trace: link.dataset.trace! });
    });
  }
  el.querySelector('[data-testid="trace-form"]')!.addEventListener('submit', (event) => {
    event.preventDefault();
    update({ trace: field(new FormData(event.target as HTMLFormElement), 'trace').trim() });
  });
}

function waterfall(trace: TraceResponse): string {
  if (trace.spans.length === 0)
    return `<p class="empty">No spans stored for trace ${esc(trace.traceId)}.</p>`;
  const total = Math.max(trace.duration, 1);
  return `<p class="muted">${count(trace.spans.length)} spans · <span data-testid="trace-duration">${value(trace.duration)}</span></p>
    <div class="waterfall" data-testid="waterfall">${trace.spans.map((s) => bar(s, total)).join('')}</div>`;
}

function bar(span: WaterfallSpan, total: number): string {
  const attrs = JSON.stringify(span.attributes ?? {});
  const fetchSpan = /"http\.url"/.test(attrs);
  return `<div class="span-row" data-testid="waterfall-span" title="${esc(attrs)}">
    <span class="span-name" style="padding-left:${span.depth * 14}px">${esc(span.name)}</span>
    <span class="span-track"><span class="span-bar${fetchSpan ? ' fetch' : ''}${span.status === 'error' ? ' error' : ''}"
      style="left:${(span.offset / total) * 100}%;width:${Math.max(0.3, (span.duration / total) * 100)}%"></span></span>
    <span class="span-time num">${value(span.duration)}</span></div>`;
}
