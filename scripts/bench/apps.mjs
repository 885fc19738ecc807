// The servers under test, by name. Each pair differs only in what is measured: the same
// framework, route, response and secret on both sides.
import {
  importFromMiddleware,
  importMiddleware,
  ISSUER,
  requireFromMw,
  requireFromRoot,
  USER,
} from './lib.mjs'

const HELLO = 'hello'
const TOKEN_PATH = '/sso/komo/token'
const TOKEN_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Type': 'application/json; charset=utf-8',
}

/** All five vendors, configured as an app would (placeholder hosts; nothing is called at start). */
function allVendors(mw, secret) {
  return [
    mw.komo({ secret, issuer: ISSUER }),
    mw.kustomer({ secret, allowedHosts: ['acme.kustomer.help'] }),
    mw.konnec({ apiBaseUrl: 'https://api.konnec.to', orgId: 'acme', apiKey: secret }),
    mw.comm100({ secret, allowedHosts: ['dash11.comm100.io'] }),
    mw.bettermode({ secret, communityUrl: 'https://community.acme.com' }),
  ]
}

async function ssoWithAllVendors(secret) {
  const mw = await importMiddleware()
  const sso = mw.ssoMiddleware({
    getUser: () => USER,
    vendors: allVendors(mw, secret),
    onEvent: () => {},
  })
  await sso.ready
  return sso
}

const noop = function noop(_req, _res, next) {
  next()
}

const notFound = (res) => {
  res.statusCode = 404
  res.end()
}

/** `name -> async (secret) => (req, res) => void` */
export const APPS = {
  // 1. pass-through: a non-SSO route behind the middleware (all five vendors) vs a no-op.
  async 'connect-noop'() {
    const connect = requireFromMw('connect')
    const app = connect()
    app.use(noop)
    app.use('/hello', (_req, res) => res.end(HELLO))
    return app
  },
  async 'connect-sso'(secret) {
    const connect = requireFromMw('connect')
    const app = connect()
    app.use(await ssoWithAllVendors(secret))
    app.use('/hello', (_req, res) => res.end(HELLO))
    return app
  },
  async 'express-noop'() {
    const express = requireFromMw('express')
    const app = express()
    app.disable('x-powered-by')
    app.disable('etag')
    app.use(noop)
    app.get('/hello', (_req, res) => res.send(HELLO))
    return app
  },
  async 'express-sso'(secret) {
    const express = requireFromMw('express')
    const app = express()
    app.disable('x-powered-by')
    app.disable('etag')
    app.use(await ssoWithAllVendors(secret))
    app.get('/hello', (_req, res) => res.send(HELLO))
    return app
  },

  // 2. the Komo token endpoint on node:http.
  async 'komo-sso'(secret) {
    const sso = await ssoWithAllVendors(secret)
    return (req, res) => sso(req, res, () => notFound(res))
  },
  /** The best a user could hand-write with jose: the key imported once as a CryptoKey. */
  async 'komo-jose'(secret) {
    const { SignJWT } = await importFromMiddleware('jose')
    const key = await globalThis.crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const header = { alg: 'HS256', typ: 'JWT' }
    return async function komoToken(req, res) {
      if (req.method !== 'POST' || req.url !== TOKEN_PATH) return notFound(res)
      const user = USER
      const iat = Math.floor(Date.now() / 1000)
      const exp = iat + 3600
      const token = await new SignJWT({
        sub: user.id,
        email: user.email,
        first_name: user.firstName,
        last_name: user.lastName,
        iss: ISSUER,
        iat,
        exp,
      })
        .setProtectedHeader(header)
        .sign(key)
      res.writeHead(200, TOKEN_HEADERS)
      res.end(JSON.stringify({ token, expiresAt: exp }))
    }
  },
  /** Komo's own sample: jsonwebtoken with the secret as a string, on every request. */
  async 'komo-jsonwebtoken'(secret) {
    const jwt = requireFromRoot('jsonwebtoken')
    return function komoToken(req, res) {
      if (req.method !== 'POST' || req.url !== TOKEN_PATH) return notFound(res)
      const user = USER
      const token = jwt.sign(
        { sub: user.id, email: user.email, first_name: user.firstName, last_name: user.lastName },
        secret,
        { expiresIn: '1h', issuer: ISSUER },
      )
      res.writeHead(200, TOKEN_HEADERS)
      res.end(JSON.stringify({ token, expiresAt: Math.floor(Date.now() / 1000) + 3600 }))
    }
  },
}
