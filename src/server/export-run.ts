/**
 * The replay behind `pwa-telemetry export`: stored JSONL → an OTLP collector or Loki, in batches,
 * one file at a time, resuming from a checkpoint. A batch is acknowledged (2xx), refused for good
 * (other 4xx: reported, counted, and passed over so one bad batch cannot block the rest), or retried
 * with backoff; when retries run out the run stops, and the next run resumes at that batch.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OTLP_PATHS } from '../telemetry/encoders/otlp-map.js';
import type { Kind, Resource } from '../telemetry/records.js';
import { loadCheckpoint, saveCheckpoint } from './export-checkpoint.js';
import { postWithRetry, type RetryOptions } from './http-post.js';
import { LOKI_PUSH_PATH, lokiBodyFromLines } from './loki.js';
import { otlpBodyFromLines } from './otlp-lines.js';
import { readLineBatches } from './read-lines.js';
import { listDays } from './read-store.js';

export interface ExportOptions {
  target: 'otlp' | 'loki';
  /** Collector base URL, or Loki base URL (a full push URL works too). */
  url: string;
  dataDir: string;
  kinds: readonly Kind[];
  /** Inclusive UTC days, `YYYY-MM-DD`. */
  from?: string;
  to?: string;
  batchSize: number;
  checkpointFile: string;
  /** For lines stored without a resource. */
  fallback: Resource;
  post: RetryOptions;
  /** Stop between batches once this returns true (Ctrl-C). */
  stopped?: () => boolean;
  /** Called after every batch. */
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportProgress {
  file: string;
  doneBytes: number;
  totalBytes: number;
  sent: number;
  elapsedMs: number;
}

export interface ExportSummary {
  /** Items the receiver acknowledged, by kind. */
  sent: Record<Kind, number>;
  /** Items in batches the receiver refused for good (other 4xx). */
  refused: number;
  /** The receiver's answer to the last refused batch. */
  lastRefusal?: string;
  /** Stored items that cannot be expressed (unparsable lines, spans with malformed ids). */
  skipped: number;
  /** Set when the run stopped early: the last error, or 'stopped'. */
  incomplete?: string;
  elapsedMs: number;
}

export function targetUrl(target: 'otlp' | 'loki', base: string, kind: Kind): string {
  const url = base.replace(/\/+$/, '');
  if (target === 'loki') return url.endsWith(LOKI_PUSH_PATH) ? url : `${url}${LOKI_PUSH_PATH}`;
  return `${url}${OTLP_PATHS[kind]}`;
}

export async function runExport(options: ExportOptions): Promise<ExportSummary> {
  const started = Date.now();
  const checkpoint = await loadCheckpoint(options.checkpointFile, `${options.target} ${options.url}`);
  const files: { kind: Kind; key: string; path: string; size: number; start: number }[] = [];
  for (const kind of options.kinds) {
    for (const day of await listDays(options.dataDir, kind)) {
      if ((options.from && day < options.from) || (options.to && day > options.to)) continue;
      const path = join(options.dataDir, kind, `${day}.jsonl`);
      const size = (await stat(path).catch(() => ({ size: 0 }))).size;
      const key = `${kind}/${day}`;
      files.push({ kind, key, path, size, start: Math.min(checkpoint.offsets[key] ?? 0, size) });
    }
  }
  const totalBytes = files.reduce((n, f) => n + f.size - f.start, 0);
  const summary: ExportSummary = {
    sent: { logs: 0, traces: 0, metrics: 0 },
    refused: 0,
    skipped: 0,
    elapsedMs: 0,
  };
  let doneBytes = 0;
  let sentTotal = 0;

  outer: for (const file of files) {
    const url = targetUrl(options.target, options.url, file.kind);
    let position = file.start;
    for await (const batch of readLineBatches(file.path, file.start, options.batchSize)) {
      if (options.stopped?.()) {
        summary.incomplete = 'stopped';
        break outer;
      }
      summary.skipped += batch.skipped;
      const encoded =
        options.target === 'otlp'
          ? otlpBodyFromLines(file.kind, batch.lines, options.fallback)
          : lokiBodyFromLines(file.kind, batch.lines, options.fallback);
      summary.skipped += batch.lines.length - (encoded?.count ?? 0);
      if (encoded) {
        const result = await postWithRetry(url, encoded.body, options.post);
        if (result.outcome === 'retry') {
          summary.incomplete = `${url}: ${result.error}`;
          break outer;
        }
        if (result.outcome === 'refused') {
          summary.refused += encoded.count;
          summary.lastRefusal = result.error;
        } else {
          summary.sent[file.kind] += encoded.count;
          sentTotal += encoded.count;
        }
      }
      doneBytes += batch.end - position;
      position = batch.end;
      checkpoint.offsets[file.key] = batch.end;
      await saveCheckpoint(options.checkpointFile, checkpoint);
      options.onProgress?.({
        file: file.key,
        doneBytes,
        totalBytes,
        sent: sentTotal,
        elapsedMs: Date.now() - started,
      });
    }
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}
