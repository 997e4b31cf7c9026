/**
 * The fetch spec fails a keepalive request when its body plus the bodies of every keepalive request
 * still in flight from the same document exceed 64 KiB (fetch spec, "inflight keepalive bytes");
 * sendBeacon shares that budget. Like OpenTelemetry JS and Faro we stay under 60,000 bytes and at
 * most 9 requests in flight, counting UTF-8 bytes, not string length.
 *
 * This state is page-wide on purpose: the browser's budget is per document, so every client
 * created in the page must draw from the same one.
 */
export const KEEPALIVE_MAX_BYTES = 60_000;
export const KEEPALIVE_MAX_REQUESTS = 9;

export interface KeepaliveBudget {
  /** Reserves `bytes` in `requests` requests (default 1) if they fit; returns a release function, or null. */
  reserve(bytes: number, requests?: number): (() => void) | null;
  readonly inFlightBytes: number;
  readonly inFlightRequests: number;
}

export function createKeepaliveBudget(
  maxBytes: number = KEEPALIVE_MAX_BYTES,
  maxRequests: number = KEEPALIVE_MAX_REQUESTS,
): KeepaliveBudget {
  let bytesInFlight = 0;
  let requestsInFlight = 0;
  return {
    reserve(bytes, requests = 1) {
      if (bytes > maxBytes - bytesInFlight || requestsInFlight + requests > maxRequests) return null;
      bytesInFlight += bytes;
      requestsInFlight += requests;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        bytesInFlight -= bytes;
        requestsInFlight -= requests;
      };
    },
    get inFlightBytes() {
      return bytesInFlight;
    },
    get inFlightRequests() {
      return requestsInFlight;
    },
  };
}

/** The one budget of this document (see above for why it is module state). */
export const pageKeepaliveBudget: KeepaliveBudget = createKeepaliveBudget();
