// How the core calls the app's own code (getUser, onLogout, onEvent, loginUrl, claims, …): no
// hook, sync or async, throwing or rejecting, may crash the process or hang a response on a
// promise nobody handles.

/** Whether `value` is a promise (or any thenable) the caller would have to handle. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Calls a hook whose answer nobody waits for (`onEvent`): a throw is swallowed, and so is the
 * rejection of a promise it returns, which would otherwise be an unhandled rejection.
 */
export function notify<A>(hook: ((arg: A) => unknown) | undefined, arg: A): void {
  if (!hook) return
  try {
    const result = hook(arg)
    if (isThenable(result)) result.then(undefined, () => {})
  } catch {
    // An audit hook that fails must not turn a sign-in into an error.
  }
}
