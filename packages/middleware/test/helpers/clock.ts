import { vi } from 'vitest'

/** 2025-01-15T12:00:00Z: the instant every time-dependent test runs at. */
export const PINNED_DATE = new Date('2025-01-15T12:00:00.000Z')
/** `PINNED_DATE` in whole seconds since the epoch, as `iat` carries it. */
export const PINNED_SECONDS = Math.floor(PINNED_DATE.getTime() / 1000)

/**
 * Pins `Date` (only `Date`: real timers and sockets keep working) at `date`. Pair it with
 * `unpinClock()` in `afterEach`.
 */
export function pinClock(date: Date = PINNED_DATE): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(date)
}

export function unpinClock(): void {
  vi.useRealTimers()
}
