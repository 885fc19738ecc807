// An ESM app using the published packages as installed from their tarballs: the middleware on
// node:http with komo(), a token fetched through @sso/react's token store and verified by
// @sso/testing the way Komo would; the same through the Fetch handler (`/fetch`) and the Fastify
// plugin (`/fastify`) registered on a real Fastify app. Exits non-zero on any mismatch.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import * as root from '@sso/middleware'
import * as fastifyEntry from '@sso/middleware/fastify'
import * as fetchEntry from '@sso/middleware/fetch'
import * as kit from '@sso/middleware/vendor-kit'
import { isSsoError, komo, ssoMiddleware } from '@sso/middleware'
import {
  createTokenStore,
  fetchTokenFrom,
  KomoProvider,
  useAuthRequestHandler,
  useKomo,
} from '@sso/react'
import * as reactRoot from '@sso/react'
import * as tokenStore from '@sso/react/token-store'
import { komoSimulator, verifyVendorToken } from '@sso/testing'
import Fastify from 'fastify'

// Every subpath resolves, and shares one copy of the core with the root entry.
// The vendors are read from the installed package itself: every one it ships is checked.
const VENDORS = readdirSync(
  new URL('./node_modules/@sso/middleware/dist/vendors/', import.meta.url),
)
  .filter((file) => file.endsWith('.js'))
  .map((file) => file.slice(0, -3))
assert.ok(VENDORS.length >= 5, `vendors shipped: ${VENDORS}`)
for (const id of VENDORS) {
  const sub = await import(`@sso/middleware/vendors/${id}`)
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: each vendor by name is the point
  assert.equal(sub[id], root[id], `@sso/middleware/vendors/${id} is the root's ${id}`)
}
assert.equal(kit.SsoError, root.SsoError)
for (const [name, entry] of [
  ['fetch', fetchEntry],
  ['fastify', fastifyEntry],
]) {
  assert.equal(entry.SsoError, root.SsoError, `@sso/middleware/${name} shares SsoError`)
  assert.equal(entry.komo, root.komo, `@sso/middleware/${name} shares komo`)
  assert.equal(entry.defineVendor, root.defineVendor, `@sso/middleware/${name} shares defineVendor`)
}
assert.equal(fetchEntry.ssoHandler, root.ssoHandler)
assert.equal('ssoMiddleware' in fetchEntry, false)
assert.equal(typeof fastifyEntry.ssoPlugin, 'function')
assert.equal(kit.defineVendor, root.defineVendor)
assert.equal(tokenStore.SsoError, reactRoot.SsoError)
assert.equal(tokenStore.createTokenStore, reactRoot.createTokenStore)

const secret = randomBytes(32).toString('base64url')
const user = { id: 'u_pack_1', email: 'ada@example.com', name: 'Ada Lovelace' }
// A vendor of the app's own, from the vendor kit alone.
const signer = kit.createSigner({ secret }, 'acme()')
const acme = kit.defineVendor({
  id: 'acme',
  ready: signer.ready,
  routes: [
    {
      name: 'token',
      method: 'POST',
      path: '/acme/token',
      kind: 'api',
      async handle(ctx) {
        kit.assertSameOrigin(ctx.request, new Set(), 'acme')
        const current = await ctx.requireUser()
        const { token } = await signer.sign({ sub: current.id }, { expiresIn: 60 })
        return { kind: 'json', body: { token }, token: true }
      },
    },
  ],
})
const sso = ssoMiddleware({
  getUser: () => user,
  vendors: [komo({ secret, issuer: 'pack-check' }), acme],
})
await sso.ready
const server = createServer((req, res) =>
  sso(req, res, () => {
    res.statusCode = 404
    res.end('not an sso route')
  }),
)
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}`

try {
  const store = createTokenStore({ fetchToken: fetchTokenFrom(`${url}/sso/komo/token`) })
  const token = await store.getToken()
  const claims = await verifyVendorToken('komo', token, secret, { issuer: 'pack-check' })
  assert.equal(claims.sub, user.id)
  assert.equal(claims.email, user.email)
  assert.equal(claims.first_name, 'Ada')
  assert.equal(claims.last_name, 'Lovelace')
  assert.equal(store.getSnapshot().status, 'ready')

  const crossSite = await fetch(`${url}/sso/komo/token`, {
    method: 'POST',
    headers: { origin: 'https://evil.example' },
  })
  assert.equal(crossSite.status, 403)
  assert.equal((await fetch(`${url}/elsewhere`)).status, 404)
  const custom = await (await fetch(`${url}/sso/acme/token`, { method: 'POST' })).json()
  assert.equal(custom.token.split('.').length, 3)

  assert.throws(
    () => komo({ secret: 'short' }),
    (error) => isSsoError(error) && error.code === 'ERR_SSO_CONFIG',
  )
  for (const fn of [KomoProvider, useAuthRequestHandler, useKomo, komoSimulator]) {
    assert.equal(typeof fn, 'function')
  }
  // @sso/react's binding subpaths load, and reject with the root entry's one SsoError: Komo's
  // endpoint answers { token }, which a Metabase fetchRequestToken (asking for { jwt }) refuses.
  const bindings = { intercom: 'useIntercom', canny: 'CannyWidget', featurebase: 'useFeaturebase' }
  for (const [path, name] of Object.entries({ ...bindings, metabase: 'useFetchRequestToken' })) {
    assert.equal(
      typeof (await import(`@sso/react/${path}`))[name],
      'function',
      `@sso/react/${path}`,
    )
  }
  const { createFetchRequestToken } = await import('@sso/react/metabase')
  const noJwt = await createFetchRequestToken({ tokenUrl: `${url}/sso/komo/token` })().catch(
    (e) => e,
  )
  assert.ok(noJwt instanceof reactRoot.SsoError, 'one SsoError across @sso/react entries')
  assert.equal(noJwt.code, 'ERR_SSO_BAD_RESPONSE')
  // The Fetch handler, from its own subpath.
  const handler = fetchEntry.ssoHandler({ getUser: () => user, vendors: [komo({ secret })] })
  const fetched = await handler(
    new Request('http://app.example/sso/komo/token', { method: 'POST' }),
  )
  const fetchedClaims = await verifyVendorToken('komo', (await fetched.json()).token, secret)
  assert.equal(fetchedClaims.sub, user.id)
  assert.equal(await handler(new Request('http://app.example/elsewhere')), null)

  // The Fastify plugin on a real Fastify app, under a prefix, the user from the Fastify request.
  const app = Fastify()
  await app.register(fastifyEntry.ssoPlugin, {
    getUser: (request) => (request.headers['x-user'] === user.id ? user : null),
    vendors: [komo({ secret })],
    prefix: '/app',
  })
  await app.sso.ready
  await app.listen({ port: 0, host: '127.0.0.1' })
  try {
    const base = `http://127.0.0.1:${app.server.address().port}/app/sso/komo/token`
    const signedIn = await fetch(base, { method: 'POST', headers: { 'x-user': user.id } })
    assert.equal(signedIn.headers.get('cache-control'), 'no-store')
    const fastifyClaims = await verifyVendorToken('komo', (await signedIn.json()).token, secret)
    assert.equal(fastifyClaims.sub, user.id)
    assert.equal(fastifyClaims.email, user.email)
    assert.equal((await fetch(base, { method: 'POST' })).status, 401)
  } finally {
    await app.close()
  }
  console.log(
    'esm consumer: token issued, verified, cross-site refused; every subpath shares one core; a vendor-kit vendor signs; the Fetch handler and the Fastify plugin sign',
  )
} finally {
  server.close()
}
