/** `45 s`, `5 min`, `5 min 10 s`, `2 h 5 min`, `3 days`: whole seconds in words. */
export function duration(seconds: number): string {
  const s = Math.round(Math.abs(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 172_800) {
    const m = Math.floor((s % 3600) / 60)
    return m === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${m} min`
  }
  return `${Math.floor(s / 86_400)} days`
}

/**
 * A difference in seconds in words: `in 5 min` / `20 min ago` / `now`, or with `'after'`
 * `5 min after` / `5 min before` (for `exp is … iat`).
 */
export function relative(delta: number, mode?: 'after'): string {
  if (mode === 'after') {
    if (delta === 0) return 'the same second as'
    return `${duration(delta)} ${delta > 0 ? 'after' : 'before'}`
  }
  if (Math.round(delta) === 0) return 'now'
  return delta > 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`
}
