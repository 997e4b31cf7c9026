/**
 * The unload spill. Events still in memory when the page goes away that do not fit the keepalive
 * budget must be stored, but an IndexedDB transaction started in `pagehide` often never commits as the
 * document is destroyed (PLATFORM.md). localStorage is synchronous: the planned entries are copied
 * there first, written to IndexedDB as usual, and the copy is removed once that write commits. A copy
 * still there at the next start is restored (entries keep their keys and batch ids, so a restored
 * entry that was also delivered is stored once by the server's batchId dedupe).
 */
import type { OutboxEntry } from './outbox.js';

const PREFIX = 'pwa-telemetry:spill:';

/** Copies entries to localStorage; returns the keys written (none when storage is full or missing). */
export function spill(entries: OutboxEntry[]): string[] {
  const keys: string[] = [];
  try {
    for (const e of entries) {
      localStorage.setItem(PREFIX + e.key, JSON.stringify(e));
      keys.push(PREFIX + e.key);
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
    const keys = Object.keys(localStorage).filter((key) => key.startsWith(PREFIX));
    for (const key of keys) {
      try {
        out.push([key, JSON.parse(localStorage.getItem(key)!) as OutboxEntry]);
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
