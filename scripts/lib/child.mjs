// Child processes as every script starts them (the parent's side; the child's is parent.mjs).
//
// A child is forked with an IPC channel. It sends `{ type: 'ready', ... }` once it serves,
// answers each request `{ type, id, ... }` with `{ type, id, ... }` (or `{ type, id, error }`),
// and exits when told to stop (SIGTERM) or when the channel closes. The parent kills every child
// it started, by pid, when it exits or is interrupted.
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

const live = new Set()

/** Kills every child this process started (by pid), on exit or on Ctrl-C. */
export function killChildren() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  live.clear()
}
let guarded = false
/** Installed with the first child, so a module that merely imports this one keeps its signals. */
function guard() {
  if (guarded) return
  guarded = true
  process.on('exit', killChildren)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killChildren()
      process.exit(130)
    })
  }
}

/**
 * A child process spoken to with request/answer messages. `ready` resolves with the child's
 * ready message (and rejects if it reports `fatal` or exits first); `ask()` resolves with the
 * answer carrying the same id.
 *
 * `output`: `'tail'` (default) keeps the last 4,000 characters of stderr for the error raised
 * when the child exits early, and drops stdout; `'inherit'` passes both through.
 */
export class Child {
  constructor(
    file,
    args = [],
    { execArgv = [], env = {}, cwd = ROOT, label = file, output = 'tail' } = {},
  ) {
    guard()
    this.label = label
    this.pending = new Map()
    this.nextId = 1
    this.stderr = ''
    this.child = fork(file, args, {
      cwd,
      execArgv,
      env: { ...process.env, ...env },
      stdio:
        output === 'inherit'
          ? ['ignore', 'inherit', 'inherit', 'ipc']
          : ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    this.pid = this.child.pid
    live.add(this.child)
    this.child.stderr?.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4000)
    })
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message) => {
        if (message?.type === 'ready') resolve(message)
        else if (message?.type === 'fatal') reject(new Error(`${label}: ${message.error}`))
        const waiter = this.pending.get(message?.id)
        if (waiter) {
          this.pending.delete(message.id)
          if (message.error) waiter.reject(new Error(`${label}: ${message.error}`))
          else waiter.resolve(message)
        }
      })
      this.child.on('exit', (code, signal) => {
        live.delete(this.child)
        const error = new Error(
          `${label} exited (${signal ?? code}) ${this.stderr ? `\n${this.stderr}` : ''}`,
        )
        reject(error)
        for (const waiter of this.pending.values()) waiter.reject(error)
        this.pending.clear()
      })
    })
    // Nobody may be awaiting `ready` when the child exits (after a normal stop, say).
    this.ready.catch(() => {})
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  ask(type, payload = {}) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.send({ ...payload, type, id })
    })
  }

  /** SIGTERM (the child closes what it serves and exits), SIGKILL after 5 s. */
  async stop() {
    if (!this.running) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * Starts a child (one that calls `serveParent` from parent.mjs) and waits until it is ready.
 * Resolves with its ready message (a server's `url`, say) plus `child` and `pid`.
 */
export async function startChild(file, { args = [], ...options } = {}) {
  const child = new Child(file, args, options)
  const ready = await child.ready
  return { ...ready, child, pid: child.pid }
}
