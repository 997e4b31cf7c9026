// The shape every library's entry under bench/peers/ returns from start(base), so the page drives
// them all with the same calls.

/**
 * @typedef {'info' | 'warn'} Level
 * @typedef {Record<string, string | number | boolean>} Context
 */

/**
 * @typedef {object} Adapter
 * @property {(level: Level, message: string, context: Context) => void} log
 * @property {(name: string, value: number) => void} metric a gauge-style value
 * @property {(name: string, durationMs: number) => void} span a finished span
 * @property {() => Promise<unknown>} [flush] the library's own "send now", where it has one
 * @property {() => unknown} [status] the library's own counters, where it has them
 */

export {};
