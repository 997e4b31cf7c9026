/** Logs: volume by level over time, and a searchable list paged newest first. */
import { api } from '../api.js';
import { timeChart } from '../chart.js';
import { apiParams, linkTo, type State } from '../filters.js';
import { count, esc, field, fields, time } from '../format.js';
import type { LogsResponse } from '../../server/dashboard/api-types.js';

const LEVEL_COLORS: Record<string, string> = {
  debug: '#9ca3af',
  info: '#2563eb',
  warn: '#d97706',
  error: '#dc2626',
};

export async function renderLogs(
  el: HTMLElement,
  state: State,
  update: (extra: Record<string, string>) => void,
): Promise<void> {
  const data = await api<LogsResponse>('logs', apiParams(state));
  const levels = new Set((state.extra.get('level') ?? '').split(',').filter(Boolean));
  const first = data.page * data.pageSize;
  el.innerHTML = `
    <section class="card"><h2>Volume by level</h2><div class="chart" data-chart="volume"></div></section>
    <section class="card">
      <form class="search" data-testid="log-search">
        <input name="q" type="search" placeholder="Search messages" value="${esc(state.extra.get('q') ?? '')}" />
        ${['debug', 'info', 'warn', 'error'].map((l) => `<label><input type="checkbox" name="level" value="${l}" ${levels.has(l) ? 'checked' : ''}/> ${l}</label>`).join('')}
        <button>Search</button>
      </form>
      <p class="muted"><span data-testid="log-total">${count(data.total)}</span> matching logs${data.total ? ` · showing ${count(first + 1)}–${count(first + data.rows.length)}` : ''}</p>
      <table class="logs"><thead><tr><th>time</th><th>level</th><th>message</th><th>session</th><th>version</th></tr></thead>
      <tbody>${data.rows.map((r) => row(r, linkTo(state, { session: r.session }))).join('')}</tbody></table>
      <div class="pager">
        <button data-page="${data.page - 1}" ${data.page === 0 ? 'disabled' : ''}>Newer</button>
        <button data-page="${data.page + 1}" ${first + data.rows.length >= data.total ? 'disabled' : ''}>Older</button>
      </div>
    </section>`;
  timeChart(
    el.querySelector<HTMLElement>('[data-chart="volume"]')!,
    data.buckets,
    data.volume.map((v) => ({ label: v.level, values: v.values, color: LEVEL_COLORS[v.level]! })),
    { height: 180 },
  );
  el.querySelector('form')!.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    update({ q: field(form, 'q'), level: fields(form, 'level').join(','), page: '' });
  });
  for (const button of el.querySelectorAll<HTMLButtonElement>('[data-page]')) {
    button.addEventListener('click', () =>
      update({ page: button.dataset.page === '0' ? '' : button.dataset.page! }),
    );
  }
}

function row(r: LogsResponse['rows'][number], sessionLink: string): string {
  const detail = { context: r.context, url: r.url, exception: r.exception, traceId: r.traceId };
  return `<tr class="level-${esc(r.level)}">
    <td class="nowrap">${time(r.time)}</td><td><span class="level">${esc(r.level)}</span></td>
    <td><details><summary>${esc(r.message)}</summary><pre>${esc(JSON.stringify(detail, null, 2))}</pre></details></td>
    <td class="mono"><a href="${esc(sessionLink)}" title="only session ${esc(r.session)}">${esc(r.session.slice(0, 12))}</a></td><td>${esc(r.version)}</td></tr>`;
}
