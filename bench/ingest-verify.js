// Reads back what a peer stored after a bench run: every line must parse, and for a server that
// dedupes, every batch of the measured run must be there exactly once and whole.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * @typedef {object} Stored
 * @property {number} lines
 * @property {number} torn lines that do not parse
 * @property {Map<string, number>} perBatch lines per batch_id (empty when lines carry none)
 */

/** @param {string} dataDir @returns {Promise<Stored>} */
export async function readStored(dataDir) {
  /** @type {Stored} */
  const stored = { lines: 0, torn: 0, perBatch: new Map() };
  for (const kind of ['logs', 'traces', 'metrics']) {
    /** @type {string[]} */
    let names;
    try {
      names = await readdir(join(dataDir, kind));
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.endsWith('.jsonl'))) {
      const lines = createInterface({
        input: createReadStream(join(dataDir, kind, name)),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        stored.lines++;
        /** @type {unknown} */
        let item;
        try {
          item = JSON.parse(line);
        } catch {
          stored.torn++;
          continue;
        }
        const id =
          typeof item === 'object' && item !== null && 'batch_id' in item ? item.batch_id : undefined;
        if (typeof id === 'string') stored.perBatch.set(id, (stored.perBatch.get(id) ?? 0) + 1);
      }
    }
  }
  return stored;
}

/**
 * Problems with what was stored, or [] when it is right. `acked` requests were answered 2xx over both
 * wrk runs; up to `inFlight` more may have been stored without wrk counting the answer.
 * @param {Stored} stored @param {{ events: number, acked: number, inFlight: number, dedupes: boolean }} run
 * @returns {string[]}
 */
export function checkStored(stored, { events, acked, inFlight, dedupes }) {
  const problems = [];
  if (stored.torn > 0) problems.push(`${stored.torn} lines do not parse`);
  if (dedupes) {
    const partial = [...stored.perBatch.values()].filter((n) => n !== events).length;
    if (partial > 0) problems.push(`${partial} batches not stored exactly once and whole`);
    const batches = stored.perBatch.size;
    if (batches < acked) problems.push(`${acked - batches} acknowledged batches missing`);
    if (batches > acked + inFlight) problems.push(`${batches - acked} batches stored, ${acked} acknowledged`);
  } else if (stored.lines < acked * events) {
    problems.push(`${acked * events - stored.lines} lines missing`);
  }
  return problems;
}
