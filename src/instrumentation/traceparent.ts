/**
 * W3C Trace Context `traceparent` on an outgoing fetch, added without touching the caller's objects.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */

type FetchArgs = Parameters<typeof fetch>;

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;

/**
 * `00-<trace-id>-<parent-id>-01`, or undefined when the ids are not valid W3C ids. A disabled client
 * hands out all-zero ids, which the spec declares invalid ("all bytes as zero"): such a header would
 * make servers start a broken trace, so none is sent.
 */
export function traceparent(traceId: string, spanId: string): string | undefined {
  if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId) || ZEROS.test(traceId) || ZEROS.test(spanId)) {
    return undefined;
  }
  return `00-${traceId}-${spanId}-01`;
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Duck-typed, so a Request from another realm (an iframe, a polyfill) is recognised too. */
export function isRequest(input: unknown): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as Request).url === 'string' &&
    typeof (input as Request).headers === 'object'
  );
}

/**
 * The fetch arguments with `traceparent` added, or undefined to send the call unchanged: when a
 * traceparent is already set (the caller's wins), when the request is `no-cors` (browsers silently drop
 * any header that is not CORS-safelisted), or when `init` is not a plain object (copying a class
 * instance could lose getters that fetch reads).
 *
 * The caller's `init` and `Headers` are never mutated: a copy goes to fetch. Per the fetch spec, headers
 * in `init` replace a Request's own headers, so the copy starts from `init.headers` when present and
 * from the Request's headers otherwise.
 */
export function withTraceparent(args: FetchArgs, value: string): FetchArgs | undefined {
  const [input, init] = args;
  const request = isRequest(input) ? input : undefined;
  if (init !== undefined && init !== null && !isPlainObject(init)) return undefined;
  if ((init?.mode ?? request?.mode) === 'no-cors') return undefined;
  const headers = new Headers(init?.headers !== undefined ? init.headers : request?.headers);
  if (headers.has('traceparent')) return undefined;
  headers.set('traceparent', value);
  return [input, { ...init, headers }];
}
