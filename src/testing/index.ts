/**
 * `pwa-telemetry/testing`: helpers for testing an app's telemetry without a browser or a server.
 * The Playwright capture lives in `pwa-telemetry/playwright` (it needs `@playwright/test`).
 */
export { memoryTransport } from './memory-transport.js';
export type { MemoryTransport, MemoryTransportOptions } from './memory-transport.js';
export { decodeBytes, decodeJson } from './decode.js';
export type { DecodedRequestBody } from './decode.js';
export type { CaptureItems, CaptureKind, CaptureView, WaitForOptions } from './capture-store.js';
export type * from './records.js';
export type { Respond, ResponseSpec } from './respond.js';
