import type { Payload } from '../outbox.js';
import { KINDS, type NativeBody } from '../records.js';

/** What an encoder needs beside the batch. */
export interface EncodeContext {
  /** Epoch ms of this send. */
  sentAt: number;
  /** Put the token in the body: for unload sends that must avoid a CORS preflight (no custom header). */
  token?: string;
}

/** A batch as stored: its id and its payload. */
export interface EncodableBatch {
  batchId: string;
  batch: Payload;
}

// Date#toISOString throws outside ±8.64e15 ms; a bad clock must not make a batch unsendable.
const iso = (ms: number): string =>
  new Date(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : 0).toISOString();

/** The native JSON body (DESIGN.md section 3); timestamps become ISO strings. */
export function toNativeBody({ batchId, batch }: EncodableBatch, ctx: EncodeContext): NativeBody {
  const body = {
    batchId,
    sentAt: iso(ctx.sentAt),
    resource: batch.resource,
    session: { id: batch.sessionId },
  } as NativeBody;
  if (batch.anonymousId) body.anonymousId = batch.anonymousId;
  for (const kind of KINDS)
    (body[kind] as unknown[]) = batch[kind].map((item) => ({ ...item, timestamp: iso(item.timestamp) }));
  if (batch.dropped) body.dropped = batch.dropped;
  if (ctx.token !== undefined) body.token = ctx.token;
  return body;
}

export function encodeNative(entry: EncodableBatch, ctx: EncodeContext): string {
  return JSON.stringify(toNativeBody(entry, ctx));
}
