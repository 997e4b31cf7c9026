/** Time charts with uPlot (one small dependency, canvas-drawn, fast with thousands of points). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Buckets } from '../server/dashboard/api-types.js';

export interface Line {
  label: string;
  values: (number | null)[];
  color: string;
  /** Filled bars instead of a line (counts per bucket). */
  bars?: boolean;
}

/** A horizontal band behind the lines: web.dev's good / needs-improvement / poor zones. */
export interface Band {
  from: number;
  to: number;
  color: string;
}

export interface ChartOptions {
  height?: number;
  bands?: Band[];
  format?: (v: number) => string;
}

const live: uPlot[] = [];

/** Destroys the charts of views that were replaced: every chart not inside `keep`. */
export function disposeChartsOutside(keep: HTMLElement): void {
  for (let i = live.length - 1; i >= 0; i--) {
    if (!keep.contains(live[i]!.root)) live.splice(i, 1)[0]!.destroy();
  }
}

export function timeChart(
  el: HTMLElement,
  buckets: Buckets,
  lines: Line[],
  options: ChartOptions = {},
): uPlot {
  const xs = Array.from({ length: buckets.count }, (_, i) => (buckets.start + i * buckets.step) / 1000);
  const bands = options.bands ?? [];
  const format = options.format ?? ((v: number) => String(v));
  const maxBand = bands.reduce((m, b) => Math.max(m, Number.isFinite(b.to) ? b.to : b.from), 0);
  const chart = new uPlot(
    {
      width: Math.max(320, el.clientWidth || 600),
      height: options.height ?? 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        // Room for the threshold bands even when every value is under them.
        y: { range: (_u, min, max) => [Math.min(0, min), Math.max(max * 1.1, maxBand * 1.05, 1)] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          spanGaps: !line.bars,
          points: { show: !line.bars },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
          ...(line.bars ? { fill: `${line.color}99`, paths: uPlot.paths.bars!({ size: [0.8, 40] }) } : {}),
        })),
      ],
      hooks: {
        // Bands go under the series: drawn once the axes (and grid) are, before the lines.
        drawAxes: [
          (u) => {
            const { ctx } = u;
            const { left, width, top, height } = u.bbox;
            ctx.save();
            for (const band of bands) {
              const y1 = Math.max(
                top,
                u.valToPos(Number.isFinite(band.to) ? band.to : u.scales.y!.max!, 'y', true),
              );
              const y0 = Math.min(top + height, u.valToPos(band.from, 'y', true));
              ctx.fillStyle = band.color;
              ctx.fillRect(left, y1, width, y0 - y1);
            }
            ctx.restore();
          },
        ],
      },
    },
    [xs, ...lines.map((l) => l.values)] as uPlot.AlignedData,
    el,
  );
  live.push(chart);
  return chart;
}

export const COLORS = [
  '#2563eb',
  '#db2777',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#dc2626',
  '#4b5563',
];
export const RATING_COLORS = { good: '#0cce6b', 'needs-improvement': '#ffa400', poor: '#ff4e42' } as const;
