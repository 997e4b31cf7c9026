// Chromium flags shared by the e2e tests (playwright.config.ts) and the bench (bench/browser.js).
// This machine's network is closed: without the background-networking flags Chromium keeps trying
// Google's hosts, and QUIC and the GPU are not available.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
