// Request bodies for `npm run bench:ingest`: native batches of log events shaped like the client's,
// with the placeholder BATCHID that bench/ingest-wrk.lua replaces per request.

const PAGES = ['/quiz/42', '/topics', '/results?quiz=42', '/settings', '/'];
const MESSAGES = [
  'Quiz started',
  'Answer submitted',
  'Network request failed, will retry',
  'Service worker updated',
  'Rendered results page',
];

/**
 * A native body with `events` log events, about 230 bytes each.
 * @param {number} events
 * @returns {string}
 */
export function nativeBody(events) {
  const now = Date.parse('2026-11-01T12:00:00.000Z');
  const logs = Array.from({ length: events }, (_, i) => ({
    timestamp: now + i * 37,
    level: i % 7 === 0 ? 'warn' : 'info',
    message: MESSAGES[i % MESSAGES.length],
    context: { topic: 'Math', question: i, correct: i % 3 === 0, ms: 120 + i },
    url: `https://app.example${PAGES[i % PAGES.length]}`,
    traceId: (i * 2654435761).toString(16).padStart(32, '0'),
    spanId: (i * 40503 + 1).toString(16).padStart(16, '0'),
  }));
  return JSON.stringify({
    batchId: 'BATCHID',
    sentAt: new Date(now).toISOString(),
    resource: { app: 'quiz', version: '1.4.2' },
    session: { id: 'c0ffee00-1234-4abc-8def-0123456789ab' },
    logs,
    traces: [],
    metrics: [],
  });
}
