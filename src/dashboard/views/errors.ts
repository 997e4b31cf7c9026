/** Errors: grouped by type + message + top frame, with a timeline where a spike shows. */
import { api } from '../api.js';
import { timeChart } from '../chart.js';
import { apiParams, type State } from '../filters.js';
import { count, esc, time } from '../format.js';
import type { ErrorGroup, ErrorsResponse } from '../../server/dashboard/api-types.js';

export async function renderErrors(el: HTMLElement, state: State): Promise<void> {
  const data = await api<ErrorsResponse>('errors', apiParams(state));
  el.innerHTML = `
    <section class="card"><h2>Errors over time <span class="muted" data-testid="error-total">${count(data.total)}</span></h2>
      <div class="chart" data-chart="errors"></div></section>
    <section class="card"><h2>Groups <span class="muted">${count(data.groupCount)}</span></h2>
      <table class="errors"><thead><tr><th>error</th><th class="num">count</th><th class="num">sessions</th><th>first seen</th><th>last seen</th></tr></thead>
      <tbody>${data.groups.map(group).join('')}</tbody></table>
      ${data.groups.length ? '' : '<p class="empty">No errors in this range.</p>'}
    </section>`;
  timeChart(
    el.querySelector<HTMLElement>('[data-chart="errors"]')!,
    data.buckets,
    [{ label: 'errors', values: data.timeline, color: '#dc2626', bars: true }],
    { height: 180 },
  );
}

function group(g: ErrorGroup, i: number): string {
  return `<tr data-testid="error-group-${i}">
    <td><details><summary><strong>${esc(g.type)}</strong>: ${esc(g.message)}<br /><span class="mono muted">${esc(g.frame || '(no frame)')}</span></summary>
      <p class="muted">latest: ${time(g.latest.time)} · session <span class="mono">${esc(g.latest.session)}</span> · version ${esc(g.latest.version || '–')}${g.latest.url ? ` · ${esc(g.latest.url)}` : ''}</p>
      <pre>${esc(g.latest.stack ?? '(no stack)')}</pre></details></td>
    <td class="num" data-testid="error-count-${i}">${count(g.count)}</td>
    <td class="num" data-testid="error-sessions-${i}">${count(g.sessions)}</td>
    <td class="nowrap">${time(g.firstSeen)}</td><td class="nowrap">${time(g.lastSeen)}</td></tr>`;
}
