import { KINDS, type Batch, type NativeBody, type Resource } from '../records.js';

/** What an encoder needs beside the batch. */
export interface EncodeContext {
  resource: Resource;
  /** Epoch ms of this send. */
  sentAt: number;
  /** Put the token in the body: for unload sends that must avoid a CORS preflight (no custom header). */
  token?: string;
}

// Date#toISOString throws outside ±8.64e15 ms; a bad clock must not make a batch unsendable.
const iso = (ms: number): string =>
  new Date(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : 0).toISOString();

/** The native JSON body (DESIGN.md section 3); timestamps become ISO strings. */
export function toNativeBody(batch: Batch, ctx: EncodeContext): NativeBody {
  const body = {
    batchId: batch.batchId,
    sentAt: iso(ctx.sentAt),
    resource: ctx.resource,
    session: { id: batch.sessionId },
  } as NativeBody;
  for (const kind of KINDS)
    (body[kind] as unknown[]) = batch[kind].map((item) => ({ ...item, timestamp: iso(item.timestamp) }));
  if (ctx.token !== undefined) body.token = ctx.token;
  return body;
}

export function encodeNative(batch: Batch, ctx: EncodeContext): string {
  return JSON.stringify(toNativeBody(batch, ctx));
}
