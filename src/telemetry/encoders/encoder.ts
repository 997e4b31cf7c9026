/**
 * The contract between the sender and a wire format. An encoder is pure: given one stored batch it
 * returns the HTTP requests that deliver it, and never touches the network, storage or clocks, so a
 * resend of the same batch (same `sentAt` aside) produces the same bytes.
 */
import type { Kind } from '../records.js';
import type { EncodableBatch } from './native.js';

export type { EncodableBatch };

/** What an encoder needs beside the stored batch (which carries its resource and session id). */
export interface EncodeContext {
  /** Epoch ms of this send. */
  sentAt: number;
  /** Credential of the backend (native token, PostHog project key, collector bearer token). */
  token?: string;
  /**
   * The page is going away: the request must need no CORS preflight where the format allows it
   * (no custom header, a CORS-safelisted content type), so a credential moves into the body.
   */
  unloading?: boolean;
}

/** One HTTP request to make; the same shape as the transport's `SendRequest` minus `unloading`. */
export interface EncodedRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  contentType: string;
  /**
   * The kinds this request carries. An OTLP batch becomes one request per kind: a sender that
   * records which kinds were accepted can resend only the rest, as collectors do not dedupe.
   */
  kinds: Kind[];
  /** Items carried, for counting. */
  count: number;
}

/** A wire format bound to its endpoint, e.g. `otlpEncoder({ endpoint })`. */
export interface Encoder {
  readonly format: 'native' | 'otlp' | 'posthog';
  /** Requests for one batch, none when the batch is empty. Throws only on a bug. */
  encode(entry: EncodableBatch, context: EncodeContext): EncodedRequest[];
}
