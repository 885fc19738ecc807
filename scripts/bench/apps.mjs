// The servers under test, by name. Each pair differs only in what is measured: the same
// framework, route, response and secret on both sides (@sso/fixtures' secrets, see lib.mjs).
import {
  importFromMiddleware,
  importHmacKey,
  importMiddleware,
  ISSUER,
  KONNEC,
  requireFromMw,
  requireFromRoot,
  SECRETS,
  USER,
} from './lib.mjs'
import { TENANT_BASE_PATH, tenantResolver } from './tenant-store.mjs'

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
function allVendors(mw) {
  return [
    mw.komo({ secret: SECRETS.komo, issuer: ISSUER }),
    mw.kustomer({ secret: SECRETS.kustomer, allowedHosts: ['acme.kustomer.help'] }),
    mw.konnec({ apiBaseUrl: 'https://api.konnec.to', ...KONNEC }),
    mw.comm100({ secret: SECRETS.comm100, allowedHosts: ['dash11.comm100.io'] }),
    mw.bettermode({ secret: SECRETS.bettermode, communityUrl: 'https://community.acme.com' }),
  ]
}

async function ssoWithAllVendors() {
  const mw = await importMiddleware()
  const sso = mw.ssoMiddleware({
    getUser: () => USER,
    vendors: allVendors(mw),
    onEvent: () => {},
  })
  await sso.ready
  return sso
}

/** Komo alone, on node:http: statically configured, or per tenant (`tenants` options). */
async function komoOnly(tenants) {
  const mw = await importMiddleware()
  const sso = mw.ssoMiddleware({
    getUser: () => USER,
    ...(tenants
      ? { basePath: TENANT_BASE_PATH, tenants: { resolve: tenantResolver(mw), ...tenants } }
      : { vendors: [mw.komo({ secret: SECRETS.komo, issuer: ISSUER })] }),
    onEvent: () => {},
  })
  await sso.ready
  return (req, res) => sso(req, res, () => notFound(res))
}

const noop = function noop(_req, _res, next) {
  next()
}

const notFound = (res) => {
  res.statusCode = 404
  res.end()
}

/** `name -> async () => (req, res) => void` */
export const APPS = {
  // 1. pass-through: a non-SSO route behind the middleware (all five vendors) vs a no-op.
  async 'connect-noop'() {
    const connect = requireFromMw('connect')
    const app = connect()
    app.use(noop)
    app.use('/hello', (_req, res) => res.end(HELLO))
    return app
  },
  async 'connect-sso'() {
    const connect = requireFromMw('connect')
    const app = connect()
    app.use(await ssoWithAllVendors())
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
  async 'express-sso'() {
    const express = requireFromMw('express')
    const app = express()
    app.disable('x-powered-by')
    app.disable('etag')
    app.use(await ssoWithAllVendors())
    app.get('/hello', (_req, res) => res.send(HELLO))
    return app
  },

  // 2. the Komo token endpoint on node:http.
  async 'komo-sso'() {
    const sso = await ssoWithAllVendors()
    return (req, res) => sso(req, res, () => notFound(res))
  },
  // 3. tenants (#12): the Komo token route per tenant vs the same vendor configured statically.
  'komo-static': () => komoOnly(),
  /** Room for every tenant the bench warms (10,000, plus the first-request probes). */
  'komo-tenants': () => komoOnly({ maxTenants: 20_000 }),
  /** The default bound (maxTenants 1000). */
  'komo-tenants-default': () => komoOnly({}),
  /** The best a user could hand-write with jose: the key imported once as a CryptoKey. */
  async 'komo-jose'() {
    const { SignJWT } = await importFromMiddleware('jose')
    const key = await importHmacKey(SECRETS.komo)
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
  async 'komo-jsonwebtoken'() {
    const jwt = requireFromRoot('jsonwebtoken')
    return function komoToken(req, res) {
      if (req.method !== 'POST' || req.url !== TOKEN_PATH) return notFound(res)
      const user = USER
      const token = jwt.sign(
        { sub: user.id, email: user.email, first_name: user.firstName, last_name: user.lastName },
        SECRETS.komo,
        { expiresIn: '1h', issuer: ISSUER },
      )
      res.writeHead(200, TOKEN_HEADERS)
      res.end(JSON.stringify({ token, expiresAt: Math.floor(Date.now() / 1000) + 3600 }))
    }
  },
}
