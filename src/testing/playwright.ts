/**
 * `pwa-telemetry/playwright`: capture an app's telemetry in a Playwright test without a server.
 *
 * ```ts
 * import { test, expect } from 'pwa-telemetry/playwright';
 * test('Pay logs checkout.started', async ({ page, telemetry }) => {
 *   await page.goto('/');
 *   await page.getByRole('button', { name: 'Pay' }).click();
 *   await telemetry.flush();
 *   const log = await telemetry.waitFor('logs', (l) => l.message === 'checkout.started');
 *   expect(log.context).toMatchObject({ cart: 3 });
 * });
 * ```
 *
 * Limits (Playwright's, not ours): requests sent while the page goes away (the keepalive sends at
 * `pagehide`/`visibilitychange`) skip `page.route` and reach the real network, so they are never
 * captured: test unload delivery against a real ingest server (`pwa-telemetry serve`, `startServer`).
 * A service worker's requests are seen through `context.route` in Chromium only.
 */
import { test as base, type BrowserContext, type Page, type Request, type Route } from '@playwright/test';
import { createCaptureStore, type CaptureView } from './capture-store.js';
import { decodeBytes } from './decode.js';
import { endpointPredicate, type EndpointMatcher } from './endpoint.js';
import type { CapturedRequest } from './records.js';
import { bodyText, defaultResponseBody, pickResponse, type Respond, type ResponseSpec } from './respond.js';

export { expect } from '@playwright/test';
export type { CaptureItems, CaptureKind, CaptureView, WaitForOptions } from './capture-store.js';
export type * from './records.js';
export type { Respond, ResponseSpec } from './respond.js';
export { endpointPredicate, type EndpointMatcher } from './endpoint.js';

export interface CaptureOptions {
  /**
   * Which requests to capture (POSTs only; CORS preflights to them are answered too). A string
   * starting with `/` matches that path and the paths under it, any other string is a URL prefix.
   * @default paths ending in /ingest, /v1/logs, /v1/traces, /v1/metrics or /batch/
   */
  endpoint?: EndpointMatcher;
  /**
   * How to answer: a status, `{ status, headers, body }`, or `(request, index) => …` returning either
   * (or undefined for the usual answer); status 0 fails the request as a network error.
   * @default 200 with the ingest server's `{ status: 'ok', received }` (or, with `through`, the real server's answer)
   */
  respond?: Respond;
  /** Forward requests to the real server and answer with its response (unless `respond` decides). @default false */
  through?: boolean;
  /**
   * How `flush()` makes the page send now: the name of the global holding the app's telemetry client
   * (the app sets e.g. `window.__telemetry = telemetry` in test builds), or a function doing it.
   * @default '__telemetry'
   */
  flush?: string | ((page: Page) => Promise<unknown>);
}

/** A running capture: what it saw, and control over it. */
export interface Capture extends CaptureView {
  /** Asks the page's client to send what it holds, and resolves once those requests were answered. */
  flush(page?: Page): Promise<void>;
  /** Stops intercepting. The fixture calls it for you. */
  dispose(): Promise<void>;
}

// Answers must pass CORS when the endpoint is on another origin (the client sends without credentials).
function corsHeaders(request: Request): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers':
      request.headers()['access-control-request-headers'] ?? 'Content-Type, Content-Encoding',
    'access-control-max-age': '600',
  };
}

/**
 * Intercepts the page's telemetry requests (and, through its context, its service worker's), decodes
 * them (native, OTLP/HTTP JSON, PostHog `/batch/`, gzip or not) and answers them. Records count once
 * per batch, and only from requests answered 2xx, as the ingest server stores them.
 */
export async function captureTelemetry(page: Page, options: CaptureOptions = {}): Promise<Capture> {
  const { respond, through = false, flush = '__telemetry' } = options;
  const matches = endpointPredicate(options.endpoint);
  const store = createCaptureStore();
  let count = 0;

  async function handle(route: Route): Promise<void> {
    const request = route.request();
    if (request.method() === 'OPTIONS' && !through) {
      await route.fulfill({ status: 204, headers: corsHeaders(request) });
      return;
    }
    if (request.method() !== 'POST') return route.fallback();
    // Numbered on arrival: the client sends a round's batches together, and their decoding may interleave.
    const index = count++;
    const headers = await request.allHeaders();
    const bytes = new Uint8Array(request.postDataBuffer() ?? new Uint8Array());
    const body = await decodeBytes(bytes, headers['content-encoding']);
    const captured: CapturedRequest = {
      url: request.url(),
      method: request.method(),
      headers,
      bytes,
      ...body,
      ...(body.decoded?.batchId ? { batchId: body.decoded.batchId } : {}),
    };
    store.add(captured);
    let answer: ResponseSpec | undefined;
    try {
      answer = await pickResponse(respond, captured, index);
    } catch (error) {
      // A throwing `respond` is the test's bug: fail the request loudly rather than hang the app.
      answer = { status: 500, body: { error: `respond threw: ${String(error)}` } };
    }
    if (answer?.status === 0) {
      store.answered(captured, 0);
      return route.abort('failed');
    }
    if (!answer && through) {
      try {
        const response = await route.fetch();
        store.answered(captured, response.status());
        return route.fulfill({ response });
      } catch {
        store.answered(captured, 0);
        return route.abort('connectionrefused');
      }
    }
    const status = answer?.status ?? 200;
    store.answered(captured, status);
    await route.fulfill({
      status,
      headers: { 'content-type': 'application/json', ...corsHeaders(request), ...answer?.headers },
      body: bodyText(answer?.body ?? defaultResponseBody(captured, status)),
    });
  }

  const handler = (route: Route): Promise<void> =>
    // A route handler that throws leaves the request hanging: fall back to the network instead.
    handle(route).catch(() => route.fallback().catch(() => {}));
  const context: BrowserContext = page.context();
  // The page's own requests meet page.route first; context.route sees the rest (service worker, other pages).
  await page.route(matches, handler);
  await context.route(matches, handler);

  return {
    get logs() {
      return store.logs;
    },
    get metrics() {
      return store.metrics;
    },
    get traces() {
      return store.traces;
    },
    get exceptions() {
      return store.exceptions;
    },
    get requests() {
      return store.requests;
    },
    waitFor: (kind, predicate, waitOptions) => store.waitFor(kind, predicate, waitOptions),
    clear: () => store.clear(),
    async flush(target = page) {
      if (typeof flush === 'function') {
        await flush(target);
        return;
      }
      await target.evaluate(async (name) => {
        const client = (globalThis as unknown as Record<string, { flush?: () => Promise<void> } | undefined>)[
          name
        ];
        if (typeof client?.flush !== 'function')
          throw new Error(
            `captureTelemetry: window.${name}.flush is not a function. Expose the app's client ` +
              `(window.${name} = telemetry) or pass { flush: (page) => … } to captureTelemetry.`,
          );
        await client.flush();
      }, flush);
    },
    async dispose() {
      await page.unroute(matches, handler).catch(() => {});
      await context.unroute(matches, handler).catch(() => {});
    },
  };
}

/** The fixtures `test` adds: `telemetry`, and `telemetryOptions` to set with `test.use`. */
export interface CaptureFixtures {
  /** Options of the `telemetry` fixture, e.g. `test.use({ telemetryOptions: { respond: 503 } })`. */
  telemetryOptions: CaptureOptions;
  /** The capture of this test's `page`, started before the test body runs. */
  telemetry: Capture;
}

/** Playwright's `test` with a `telemetry` fixture. Merge it with your own: `mergeTests(yours, test)`. */
export const test = base.extend<CaptureFixtures>({
  telemetryOptions: [{}, { option: true }],
  telemetry: async ({ page, telemetryOptions }, use) => {
    const capture = await captureTelemetry(page, telemetryOptions);
    await use(capture);
    await capture.dispose();
  },
});
