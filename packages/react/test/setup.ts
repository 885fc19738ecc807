import { cleanup } from '@testing-library/react'
import { afterEach, vi } from 'vitest'

// Each test starts from a page without any vendor SDK (Komo, Intercom, Canny, Featurebase): no globals, no script tags, real timers.
afterEach(() => {
  cleanup()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  if (typeof window !== 'undefined') {
    const page = window as unknown as Record<string, unknown>
    for (const name of ['komoEmbed', 'Intercom', 'Canny', 'Featurebase']) delete page[name]
    document.head.innerHTML = ''
  }
})
