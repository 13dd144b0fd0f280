/**
 * Debian's chromium, driven by playwright-core, for the browser tests (`npm run test:browser`). The
 * flags keep it offline and quiet: no GPU, no sandbox (CI runs as root), no background traffic.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (the browser tests need a real browser).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
