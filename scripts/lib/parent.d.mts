// Types of parent.mjs, for the TypeScript scripts (scripts/loadtest/server.ts).
export interface Served<M> {
  /** Sent with the ready message. */
  ready?: Record<string, unknown>
  /** Answers a request of each type; the result is merged into the answer. */
  handlers?: Record<string, (message: M) => object | Promise<object>>
  /** Runs on SIGTERM or when the channel closes; the process then exits. */
  close?: () => unknown
}
export function serveParent<M = { type: string; id: number }>(
  start: () => Served<M> | Promise<Served<M>>,
): Promise<void>
