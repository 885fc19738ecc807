// Types of http.mjs, for the TypeScript scripts (scripts/loadtest/server.ts).
import type { Agent, IncomingHttpHeaders, RequestListener, Server } from 'node:http'

export interface Listening {
  server: Server
  port: number
  url: string
}
export function listen(
  handler: RequestListener,
  options?: { host?: string; port?: number; keepAliveTimeout?: number },
): Promise<Listening>
export function closeServer(server: Server): Promise<void>

export interface Answer {
  /** 0 when the request failed (the error is then the body). */
  status: number
  headers: IncomingHttpHeaders
  body: string
  ms: number
}
export interface SendOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  agent?: Agent
  timeout?: number
}
export function send(url: string, options?: SendOptions): Promise<Answer>
export function cookiesOf(response: Answer, name?: string): string[]
export function follow(
  url: string,
  options?: { hops?: number; headers?: Record<string, string>; agent?: Agent; timeout?: number },
): Promise<{ response: Answer; chain: Answer[] }>
export function logInToDemo(
  appUrl: string,
  user: { email: string; name: string; agent?: Agent },
): Promise<string>
