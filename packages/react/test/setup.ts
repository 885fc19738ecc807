import { cleanup } from '@testing-library/react'
import { afterEach, vi } from 'vitest'

// Each test starts from a page without Komo: no globals, no script tags, real timers.
afterEach(() => {
  cleanup()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  if (typeof window !== 'undefined') {
    delete (window as { komoEmbed?: unknown }).komoEmbed
    document.head.innerHTML = ''
  }
})
