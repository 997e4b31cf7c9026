/** The progress line of `export`: a bar on a terminal, a plain sentence otherwise. */
import type { ExportProgress } from './export-run.js';

const WIDTH = 24;

export function progressLine(p: ExportProgress, bar: boolean): string {
  const share = p.totalBytes > 0 ? Math.min(1, p.doneBytes / p.totalBytes) : 1;
  const percent = `${(share * 100).toFixed(1)}%`;
  const rate = p.elapsedMs > 0 ? Math.round((p.sent / p.elapsedMs) * 1000) : 0;
  if (!bar) return `${percent} ${p.sent} events sent (${rate}/s), at ${p.file}`;
  const filled = Math.round(share * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent.padStart(6)}  ${p.sent} events  ${rate}/s  ${p.file}`;
}
