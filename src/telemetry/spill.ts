/**
 * The unload spill. Events still in memory when the page goes away that do not fit the keepalive
 * budget must be stored, but an IndexedDB transaction started in `pagehide` often never commits as the
 * document is destroyed (PLATFORM.md). localStorage is synchronous: the planned entries are copied
 * there first, written to IndexedDB as usual, and the copy is removed once that write commits. A copy
 * still there at the next start is restored (entries keep their keys and batch ids, so a restored
 * entry that was also delivered is stored once by the server's batchId dedupe).
 */
import type { OutboxEntry } from './outbox.js';
import { KINDS } from './records.js';

const PREFIX = 'pwa-telemetry:spill:';

/**
 * Copies the live clients of this page keep for their memory outboxes (pipeline.ts keepSpilled()):
 * theirs to remove, not another client's to restore. (A tab opened meanwhile may restore them: the
 * server stores a batch once.)
 */
export const keptInPage = new Set<string>();

/** Where an outbox entry's copy is stored. */
export const spillKey = (entryKey: string): string => PREFIX + entryKey;

/**
 * One entry as stored: `[entry without its items, logs, traces, metrics]`, so items whose JSON the
 * caller already has (it measured them) are not serialised again: at a hide right after a burst of
 * 10,000 events that second pass was about a fifth of the handler's time.
 */
function encode(e: OutboxEntry, jsonOf: (item: object) => string | undefined): string {
  const { logs, traces, metrics, ...rest } = e.batch;
  const items = [logs, traces, metrics].map(
    (list: object[]) => `[${list.map((item) => jsonOf(item) ?? JSON.stringify(item)).join(',')}]`,
  );
  return `[${JSON.stringify({ ...e, batch: rest })},${items.join(',')}]`;
}

function decode(text: string): OutboxEntry {
  const value = JSON.parse(text) as OutboxEntry | [OutboxEntry, ...unknown[][]];
  // An entry spilled whole (the format before this one).
  if (!Array.isArray(value)) return value;
  const [entry, ...lists] = value;
  KINDS.forEach((kind, i) => ((entry.batch[kind] as unknown[]) = lists[i] ?? []));
  return entry;
}

/**
 * Copies entries to localStorage; returns the keys written (none when storage is full or missing).
 * `jsonOf` gives the JSON of an item when the caller has it.
 */
export function spill(
  entries: OutboxEntry[],
  jsonOf: (item: object) => string | undefined = () => undefined,
): string[] {
  const keys: string[] = [];
  try {
    for (const e of entries) {
      localStorage.setItem(spillKey(e.key), encode(e, jsonOf));
      keys.push(spillKey(e.key));
    }
  } catch {
    // Full or unavailable: the IndexedDB write is all there is.
  }
  return keys;
}

/** Every spilled entry with its storage key. */
export function readSpill(): [string, OutboxEntry][] {
  const out: [string, OutboxEntry][] = [];
  try {
    // Keys first: removing an unreadable copy while walking by index would skip the next key.
    const keys = Object.keys(localStorage).filter((key) => key.startsWith(PREFIX) && !keptInPage.has(key));
    for (const key of keys) {
      try {
        out.push([key, decode(localStorage.getItem(key)!)]);
      } catch {
        localStorage.removeItem(key);
      }
    }
  } catch {
    // no localStorage
  }
  return out;
}

export function unspill(keys: string[]): void {
  try {
    for (const key of keys) localStorage.removeItem(key);
  } catch {
    // nothing to remove
  }
}
