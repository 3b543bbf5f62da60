import { existsSync } from 'node:fs';
import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Headless Chromium for browser tests: Debian's chromium when installed; otherwise the binary
 * that the npm package @sparticuz/chromium ships (unpacked to the temp directory), so npm test
 * needs only Node. That binary links against the system's NSS (libnss3, libnspr4): on a slim
 * image without them it cannot start, and the launch error names the missing library.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : await sparticuzChromium.executablePath();
  return chromium.launch({ executablePath, args: ARGS });
}
