/** Client health: events received per minute by kind, and drops reported by clients by reason. */
import { api } from '../api.js';
import { COLORS, timeChart } from '../chart.js';
import { apiParams, type State } from '../filters.js';
import { count, esc, rate } from '../format.js';
import type { HealthResponse } from '../../server/dashboard/api-types.js';

export async function renderHealth(el: HTMLElement, state: State): Promise<void> {
  const data = await api<HealthResponse>('health', apiParams(state));
  const total = data.received.reduce((n, r) => n + r.total, 0);
  el.innerHTML = `
    <section class="card"><h2>Events received per minute</h2>
      <p class="muted"><span data-testid="health-total">${count(total)}</span> events
        (${data.received.map((r) => `${r.kind} <span data-testid="health-${r.kind}">${count(r.total)}</span>`).join(', ')})
        from <span data-testid="health-sessions">${count(data.sessions)}</span> sessions ·
        versions ${data.versions.map(esc).join(', ') || '–'}${data.skippedLines ? ` · ${count(data.skippedLines)} unreadable lines skipped` : ''}</p>
      <div class="chart" data-chart="received"></div></section>
    <section class="card"><h2>Drops reported by clients</h2>
      ${
        data.drops.length
          ? `<table class="small"><thead><tr><th>reason</th><th class="num">events dropped</th></tr></thead><tbody>
          ${data.drops.map((d) => `<tr><td>${esc(d.reason)}</td><td class="num" data-testid="drop-${esc(d.reason)}">${count(d.total)}</td></tr>`).join('')}
          </tbody></table><div class="chart" data-chart="drops"></div>`
          : '<p class="empty" data-testid="no-drops">No drops reported in this range.</p>'
      }
    </section>`;
  timeChart(
    el.querySelector<HTMLElement>('[data-chart="received"]')!,
    data.buckets,
    data.received.map((r, i) => ({ label: r.kind, values: r.perMinute, color: COLORS[i]! })),
    { height: 180, format: rate },
  );
  const drops = el.querySelector<HTMLElement>('[data-chart="drops"]');
  if (drops) {
    timeChart(
      drops,
      data.buckets,
      data.drops.map((d, i) => ({
        label: d.reason,
        values: d.values,
        color: COLORS[(i + 3) % COLORS.length]!,
        bars: true,
      })),
      { height: 160 },
    );
  }
}
