// The child's side of child.mjs: how every server, load generator and measurement child talks
// to the script that forked it.

const describe = (error) => String(error?.stack ?? error)

/**
 * Serves the parent. `start()` builds what the child serves and returns
 * `{ ready, handlers, close }`: `ready` is sent with the ready message; `handlers[type]` answers
 * a request of that type (its result is merged into the answer); `close()` runs on SIGTERM or
 * when the channel closes, then the process exits normally (so `--cpu-prof` writes its
 * profile), at the latest after 1 s. A failing `start()` is reported as `fatal`.
 */
export async function serveParent(start) {
  let served
  try {
    served = await start()
  } catch (error) {
    process.send?.({ type: 'fatal', error: describe(error) })
    process.exit(1)
  }
  const { ready = {}, handlers = {}, close } = served ?? {}
  process.on('message', async (message) => {
    const handler = handlers[message?.type]
    if (!handler) return
    const { type, id } = message
    try {
      process.send({ ...(await handler(message)), type, id })
    } catch (error) {
      process.send({ type, id, error: describe(error) })
    }
  })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(0), 1000).unref()
    Promise.resolve()
      .then(close)
      .then(
        () => process.exit(0),
        () => process.exit(0),
      )
  }
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
  process.send({ ...ready, type: 'ready' })
}
