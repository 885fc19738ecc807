import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'

/** Debian's Chromium, driven by playwright-core (no browser downloads on this machine). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`,
    )
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * The demo (every vendor simulated, on a free port) and a Chromium for the tests of one
 * `describe`: started before them, both closed after.
 */
export function demoInChromium(): { readonly demo: RunningDemo; readonly browser: Browser } {
  const running = {} as { demo: RunningDemo; browser: Browser }
  beforeAll(async () => {
    running.demo = await startDemo({ port: 0, real: {}, onEvent: () => {} })
    running.browser = await launchChromium()
  })
  afterAll(async () => {
    await running.browser?.close()
    await running.demo?.close()
  })
  return running
}
