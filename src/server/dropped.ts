/**
 * What a client reports it dropped since its last batch (`dropped: { <reason>: <count> }` in the
 * envelope, DESIGN.md "Options added since"). Validation keeps it beside the items; the store writes
 * it as metric points named `telemetry_dropped`, one per reason with `labels.reason`, in the batch's
 * metrics file: stored, deduped, retained and exported like any metric, so loss is visible wherever
 * the metrics go, not only in this server's dashboard.
 *
 * In OTLP (`export --otlp`, `serve --forward-otlp`) the points take the client OTLP encoder's name
 * instead, so a collector sees one metric whether the client sent to it directly or through here.
 */
import { DROPPED_METRIC as OTLP_DROPPED_METRIC } from '../telemetry/encoders/otlp.js';
import type { MetricItem, ValidBody } from './validate.js';

/** The drop points' name in the store (and the dashboard, which counts them). */
export const DROPPED_METRIC = 'telemetry_dropped';

/** A stored metric's name in OTLP: the drop points' is the client encoder's `pwa_telemetry.dropped`. */
export const otlpMetricName = (name: string): string =>
  name === DROPPED_METRIC ? OTLP_DROPPED_METRIC : name;
/**
 * A metric name arriving over OTLP as stored: the client OTLP encoder's drop gauge becomes the drop
 * points' stored name, so the dashboard counts those drops as it counts a native envelope's.
 */
export const storedMetricName = (name: string): string =>
  name === OTLP_DROPPED_METRIC ? DROPPED_METRIC : name;
/** Reasons kept from one envelope; the client has a handful, so more is not a real client. */
const MAX_REASONS = 32;
const REASON = /^[A-Za-z0-9_.-]{1,64}$/;

/** The envelope's `dropped` without its zero counts (undefined when absent), or a reason string when malformed. */
export function checkDropped(dropped: unknown): Record<string, number> | undefined | string {
  if (dropped === undefined || dropped === null) return undefined;
  if (typeof dropped !== 'object' || Array.isArray(dropped))
    return 'dropped must be an object of counts by reason';
  const entries = Object.entries(dropped);
  if (entries.length > MAX_REASONS) return `dropped has more than ${MAX_REASONS} reasons`;
  const counts: Record<string, number> = {};
  for (const [reason, count] of entries) {
    if (!REASON.test(reason))
      return `dropped.${reason.slice(0, 64)}: reason must be 1 to 64 of A-Z a-z 0-9 _ . -`;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      return `dropped.${reason} must be a non-negative integer`;
    }
    // Zero counts carry nothing: a client may send its whole table every time.
    if (count > 0) counts[reason] = count;
  }
  return Object.keys(counts).length ? counts : undefined;
}

/** The batch's drop report as metric items, one per reason; none without a report. */
export function dropPoints(body: ValidBody): MetricItem[] {
  if (body.dropped === undefined) return [];
  return Object.entries(body.dropped).map(([reason, value]) => ({
    ...(body.sentAt === undefined ? {} : { timestamp: body.sentAt }),
    name: DROPPED_METRIC,
    value,
    labels: { reason },
  }));
}
