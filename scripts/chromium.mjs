/*
 * Debian's Chromium, driven by playwright-core: where it is and how it is started, for the
 * browser tests (test/e2e-web/harness.ts), the desk benchmark (bench/desk-browser.ts) and the
 * README's screenshots (scripts/screenshots.mjs). Plain JavaScript, so that `node
 * scripts/screenshots.mjs` runs it without a TypeScript loader; chromium.d.mts types it.
 */

/** CHROMIUM_PATH, else Debian's package (apt-get install -y chromium). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless and quiet: no sandbox (containers run it as root), no GPU, no calls home. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Chromium at CHROMIUM_PATH with CHROMIUM_ARGS. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
