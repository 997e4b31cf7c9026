import { utf8Length } from './bytes.js';
import type { SizedItem } from './outbox-ops.js';
import type { LogRecord } from './records.js';

/** An event before it is measured. */
export type Item = Omit<SizedItem, 'bytes'>;

// Where each kind keeps its free-form payload.
const PAYLOAD = { logs: 'context', traces: 'attributes', metrics: 'labels' } as const;
const cut = (text: unknown): unknown => (typeof text === 'string' ? text.slice(0, 256) : text);

/**
 * The item with its JSON and its size in the batch: UTF-8 bytes of the JSON, plus 16 because its ISO
 * timestamp on the wire is 16 bytes longer than the epoch number. The JSON is kept for the unload
 * spill, which would otherwise serialise the item again.
 */
export function measure(kind: SizedItem['kind'], item: Item['item']): SizedItem {
  const json = JSON.stringify(item);
  return { kind, item, bytes: utf8Length(json) + 16, json };
}

/**
 * One event larger than a whole batch: keep the event and its identity, replace its payload with a
 * marker and cut its strings, so it fits any batch (each string then holds at most 1 KiB of UTF-8).
 */
export function shrink({ kind, item }: Item, bytes: number): Item['item'] {
  const { url: _url, exception, ...rest } = item as Partial<LogRecord>;
  const out: Record<string, unknown> = { ...rest, [PAYLOAD[kind]]: { _truncated: `${bytes} bytes` } };
  for (const key of ['message', 'name']) if (key in out) out[key] = cut(out[key]);
  if (exception) out.exception = { type: cut(exception.type), message: cut(exception.message) };
  return out as unknown as Item['item'];
}
