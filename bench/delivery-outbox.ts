// Entry bundled for the page by bench/delivery.js (scripts/size.js `bundle()`): the IndexedDB outbox and
// its pure operations, so bench/delivery-page.js can time one append, claim and settle in Chromium.
export { indexedDbOutbox } from '../src/telemetry/outbox-idb.js';
export { appendOp, claimOp, fill, settleOp } from '../src/telemetry/outbox-ops.js';
export type { EntryTemplate, SizedItem } from '../src/telemetry/outbox-ops.js';
export type { OutboxEntry } from '../src/telemetry/outbox.js';
