/** Web vitals: p75 per vital against web.dev's thresholds, over time per app version, and distributions. */
import { api } from '../api.js';
import { COLORS, RATING_COLORS, timeChart, type Band } from '../chart.js';
import { apiParams, type State } from '../filters.js';
import { count, esc, value } from '../format.js';
import type { Rating, VitalSummary, VitalsResponse } from '../../server/dashboard/api-types.js';

const RATING_TEXT: Record<Rating, string> = {
  good: 'good',
  'needs-improvement': 'needs improvement',
  poor: 'poor',
};

export async function renderVitals(el: HTMLElement, state: State): Promise<void> {
  const data = await api<VitalsResponse>('vitals', apiParams(state));
  el.innerHTML = `<div class="cards">${data.vitals.map(card).join('')}</div>`;
  for (const vital of data.vitals) {
    const chartEl = el.querySelector<HTMLElement>(`[data-chart="${vital.key}"]`)!;
    if (vital.count === 0) {
      chartEl.innerHTML = '<p class="empty">No data in this range.</p>';
      continue;
    }
    const bands: Band[] = [
      { from: 0, to: vital.good, color: `${RATING_COLORS.good}22` },
      { from: vital.good, to: vital.poor, color: `${RATING_COLORS['needs-improvement']}22` },
      { from: vital.poor, to: Infinity, color: `${RATING_COLORS.poor}22` },
    ];
    timeChart(
      chartEl,
      data.buckets,
      vital.byVersion.map((v, i) => ({
        label: `p75 ${v.version}`,
        values: v.series,
        color: COLORS[i % COLORS.length]!,
      })),
      { bands, format: (v) => value(v, vital.unit), height: 200 },
    );
  }
}

function card(vital: VitalSummary): string {
  const rating = vital.rating
    ? `<span class="badge ${vital.rating}" data-testid="rating-${vital.key}">${RATING_TEXT[vital.rating]}</span>`
    : '';
  const versions = vital.byVersion
    .map(
      (v) => `<tr><td>${esc(v.version)}</td><td class="num">${count(v.count)}</td>
        <td class="num ${v.p75 === null ? '' : rate(vital, v.p75)}" data-testid="p75-${vital.key}-${esc(v.version)}">${value(v.p75, vital.unit)}</td></tr>`,
    )
    .join('');
  return `<section class="card vital" data-vital="${vital.key}">
    <h2>${vital.key} <span class="p75" data-testid="p75-${vital.key}">${value(vital.p75, vital.unit)}</span> ${rating}</h2>
    <p class="muted">p75 of <span data-testid="count-${vital.key}">${count(vital.count)}</span> samples · good ≤ ${value(vital.good, vital.unit)} · poor &gt; ${value(vital.poor, vital.unit)}</p>
    <div data-chart="${vital.key}" class="chart"></div>
    ${vital.count ? `${distribution(vital)}<table class="small"><thead><tr><th>version</th><th class="num">samples</th><th class="num">p75</th></tr></thead><tbody>${versions}</tbody></table>` : ''}
  </section>`;
}

function distribution(vital: VitalSummary): string {
  const total = vital.count || 1;
  const shares = (['good', 'needs-improvement', 'poor'] as const)
    .map((r) => {
      const pct = (vital.ratings[r] / total) * 100;
      return `<span class="share ${r}" style="width:${pct}%" title="${RATING_TEXT[r]}: ${count(vital.ratings[r])}" data-testid="share-${vital.key}-${r}">${pct >= 8 ? `${Math.round(pct)}%` : ''}</span>`;
    })
    .join('');
  const max = Math.max(1, ...vital.histogram.counts);
  const bars = vital.histogram.counts
    .map((c, i) => {
      const edge = vital.histogram.edges[i]!;
      return `<span class="bar ${rate(vital, edge)}" style="height:${(c / max) * 100}%" title="${value(edge, vital.unit)}+: ${count(c)}"></span>`;
    })
    .join('');
  return `<div class="shares">${shares}</div><div class="histogram" aria-label="distribution">${bars}</div>`;
}

function rate(vital: VitalSummary, v: number): Rating {
  return v <= vital.good ? 'good' : v <= vital.poor ? 'needs-improvement' : 'poor';
}
