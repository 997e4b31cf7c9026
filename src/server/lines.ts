/**
 * The JSONL text of a batch's items: one line per item, the item's fields plus `batch_id`,
 * `session_id`, `anonymous_id` and `received_at`. When the raw body and the item spans are at hand, an item's own
 * text is reused (no second JSON.stringify); ours then come first, so a line torn by a crash still
 * shows its batch. An item carrying a field of ours is serialised instead, ours last, so it cannot
 * override them. An item that came with its own resource (OTLP in) and a batch without a session or
 * anonymous id take theirs from the resource attributes `session.id` and `anonymous.id`, so every
 * line names its subject (what `delete` looks for) whatever format brought it.
 */
import { KINDS, type Kind } from '../telemetry/records.js';
import { dropPoints } from './dropped.js';
import type { ItemSpans } from './item-spans.js';
import { ANONYMOUS_ID, type ValidBody } from './validate.js';

export interface RawBody {
  text: string;
  spans: ItemSpans;
}

export interface Stamp {
  batchId: string;
  sessionId: string | null;
  /** The envelope's `anonymousId` (see validate.ts); null when it has none. */
  anonymousId: string | null;
  receivedAt: string;
  /** The batch's `resource` (app, version, …), stored with every line so versions can be compared. */
  resource?: Record<string, unknown>;
}

// An item carrying one of these is serialised instead of reused; `resource` is an item's own (OTLP
// items keep the resource they came with) and then wins over the batch's.
export const OURS = ['batch_id', 'session_id', 'anonymous_id', 'received_at', 'resource'];

/**
 * A batch's lines by kind, with how many items each holds; kinds without items are absent. The
 * lines are UTF-8 bytes when built from the body's own bytes (byte-lines.ts).
 */
export type BatchTexts = Partial<Record<Kind, { text: string | Uint8Array; count: number }>>;

let isoAt = NaN;
let iso = '';

/** The lines of every kind of a batch received at `receivedAt` (epoch ms). */
export function batchTexts(body: ValidBody, receivedAt: number, raw: RawBody | undefined): BatchTexts {
  const stamp = batchStamp(body, receivedAt);
  const texts: BatchTexts = {};
  for (const kind of KINDS) {
    const items = body[kind];
    if (items.length > 0) texts[kind] = { text: toLines(items, kind, stamp, raw), count: items.length };
  }
  return withDrops(texts, body, stamp);
}

/** What the store adds to every line of the batch. */
export function batchStamp(body: ValidBody, receivedAt: number): Stamp {
  // Many requests share a millisecond under load; toISOString showed in profiles.
  if (receivedAt !== isoAt) {
    isoAt = receivedAt;
    iso = new Date(receivedAt).toISOString();
  }
  return {
    batchId: body.batchId,
    sessionId: body.session?.id ?? null,
    anonymousId: body.anonymousId ?? null,
    receivedAt: iso,
    ...(body.resource ? { resource: body.resource } : {}),
  };
}

/** The client's drop report goes with the metrics, as points of their own (see dropped.ts). */
export function withDrops(texts: BatchTexts, body: ValidBody, stamp: Stamp): BatchTexts {
  const drops = dropPoints(body);
  if (drops.length === 0) return texts;
  const text = toLines(drops, 'metrics', stamp, undefined);
  const before = texts.metrics?.text ?? '';
  texts.metrics = {
    text: typeof before === 'string' ? before + text : Buffer.concat([before, Buffer.from(text, 'utf8')]),
    count: texts.metrics?.count ?? 0,
  };
  return texts;
}

/** The start of every line of the batch: our fields, without the closing brace. */
export function lineHead(stamp: Stamp): string {
  // batchId and anonymousId are validated to [A-Za-z0-9_-], so they need no escaping.
  const resource = stamp.resource ? `,"resource":${JSON.stringify(stamp.resource)}` : '';
  const anonymous = stamp.anonymousId === null ? 'null' : `"${stamp.anonymousId}"`;
  return `{"batch_id":"${stamp.batchId}","session_id":${JSON.stringify(stamp.sessionId)},"anonymous_id":${anonymous},"received_at":"${stamp.receivedAt}"${resource}`;
}

export function toLines(
  items: readonly Record<string, unknown>[],
  kind: Kind,
  stamp: Stamp,
  raw: RawBody | undefined,
): string {
  const spans = raw?.spans[kind];
  const reuse = raw !== undefined && spans !== undefined && spans.length === items.length * 2;
  const head = lineHead(stamp);
  const own = stamp.sessionId === null || stamp.anonymousId === null;
  const batchResource = stamp.resource ? { resource: stamp.resource } : {};
  let text = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (reuse && !OURS.some((key) => key in item)) {
      const start = spans[i * 2]!;
      const end = spans[i * 2 + 1]!;
      // `{}` has nothing to follow ours; otherwise the item's fields follow after a comma.
      const empty = end - start < 16 && raw.text.slice(start + 1, end - 1).trim() === '';
      text += empty ? `${head}}\n` : `${head},${raw.text.slice(start + 1, end)}\n`;
    } else {
      const extra = {
        session_id: stamp.sessionId ?? (own ? resourceId(item, 'session.id') : null),
        anonymous_id: stamp.anonymousId ?? (own ? resourceId(item, 'anonymous.id') : null),
        batch_id: stamp.batchId,
        received_at: stamp.receivedAt,
      };
      text += `${JSON.stringify({ ...batchResource, ...item, ...extra })}\n`;
    }
  }
  return text;
}

/** A subject id from an item's own resource attributes (OTLP in), or null. */
function resourceId(item: Record<string, unknown>, key: 'session.id' | 'anonymous.id'): string | null {
  const resource = item.resource;
  if (typeof resource !== 'object' || resource === null) return null;
  const value = (resource as Record<string, unknown>)[key];
  if (typeof value !== 'string' || value === '') return null;
  // otlp-in.ts refuses a malformed anonymous.id; a native item's own resource is only skipped.
  return key === 'anonymous.id' && !ANONYMOUS_ID.test(value) ? null : value;
}

/**
 * True when the raw body can be reused line by line: JSON allows line breaks only as whitespace
 * between tokens, so a body without any keeps every item on one line.
 */
export function isSingleLine(text: string): boolean {
  return !text.includes('\n') && !text.includes('\r');
}
