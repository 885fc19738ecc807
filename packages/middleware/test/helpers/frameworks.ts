import { createRequire } from 'node:module'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import connect from 'connect'
import express from 'express'

type Next = (err?: unknown) => void
/** Anything with the Connect middleware shape, as `ssoMiddleware()` returns it. */
export type ConnectStyle = (req: IncomingMessage, res: ServerResponse, next: Next) => void

// express 4 is installed under the alias `express4` and ships no types of its own; its
// app-building surface is the one express 5's types describe.
const express4 = createRequire(import.meta.url)('express4') as typeof express

/** The header every response written by the app (not by the middleware) carries. */
export const APP_HEADER = 'x-app'

export interface AppOptions {
  /** Mount the middleware under this path (`app.use('/prefix', mw)`); not for bare node:http. */
  mountPath?: string
  /** Receives every error that reaches the app's error handler. */
  errors?: unknown[]
}

/** The app's own 404: proves the middleware handed the request on with `next()`. */
function notFound(res: ServerResponse): void {
  res.statusCode = 404
  res.setHeader(APP_HEADER, 'not-found')
  res.setHeader('Content-Type', 'text/plain')
  res.end('app: not found')
}

/** The app's own error handler: proves the middleware called `next(err)`. */
function appError(err: unknown, res: ServerResponse, errors: unknown[] | undefined): void {
  errors?.push(err)
  res.statusCode = 500
  res.setHeader(APP_HEADER, 'error-handler')
  res.setHeader('Content-Type', 'text/plain')
  res.end('app: error handler')
}

export interface Framework {
  name: string
  /** Whether `mountPath` is supported. */
  mounts: boolean
  app(middleware: ConnectStyle, options?: AppOptions): RequestListener
}

/** The Connect-style hosts the middleware must work in, for `describe.each`. */
export const FRAMEWORKS: Framework[] = [
  {
    name: 'node:http',
    mounts: false,
    app: (middleware, options = {}) => {
      if (options.mountPath) throw new Error('bare node:http cannot mount under a path')
      return (req, res) =>
        middleware(req, res, (err) => (err ? appError(err, res, options.errors) : notFound(res)))
    },
  },
  {
    name: 'Connect 3',
    mounts: true,
    app: (middleware, options = {}) => {
      const app = connect()
      if (options.mountPath) app.use(options.mountPath, middleware)
      else app.use(middleware)
      app.use((_req: IncomingMessage, res: ServerResponse) => notFound(res))
      app.use((err: unknown, _req: IncomingMessage, res: ServerResponse, _next: Next) =>
        appError(err, res, options.errors),
      )
      return app
    },
  },
  ...[
    { name: 'Express 4', factory: express4 },
    { name: 'Express 5', factory: express },
  ].map(
    ({ name, factory }): Framework => ({
      name,
      mounts: true,
      app: (middleware, options = {}) => {
        const app = factory()
        if (options.mountPath) app.use(options.mountPath, middleware)
        else app.use(middleware)
        app.use((_req, res) => notFound(res))
        app.use(
          (
            err: unknown,
            _req: express.Request,
            res: express.Response,
            _next: express.NextFunction,
          ) => appError(err, res, options.errors),
        )
        return app
      },
    }),
  ),
]
