// A CommonJS app using the published packages as installed from their tarballs (each package's
// `require` build, which itself loads ESM-only jose through require(esm)): the middleware on
// node:http with komo(), a token fetched through @sso/react's token store and verified by
// @sso/testing the way Komo would; the same through the Fetch handler (`/fetch`) and the Fastify
// plugin (`/fastify`) registered on a real Fastify app. Exits non-zero on any mismatch.
const assert = require('node:assert/strict')
const { randomBytes } = require('node:crypto')
const { createServer } = require('node:http')
const { isSsoError, komo, ssoMiddleware } = require('@sso/middleware')
const {
  createTokenStore,
  fetchTokenFrom,
  KomoProvider,
  useAuthRequestHandler,
  useKomo,
} = require('@sso/react')
const { komoSimulator, verifyVendorToken } = require('@sso/testing')
const root = require('@sso/middleware')
const kit = require('@sso/middleware/vendor-kit')
const fetchEntry = require('@sso/middleware/fetch')
const fastifyEntry = require('@sso/middleware/fastify')
const Fastify = require('fastify')
const reactRoot = require('@sso/react')
const tokenStore = require('@sso/react/token-store')

// Every subpath resolves through `require`, and shares one copy of the core with the root.
// The vendors are read from the installed package itself: every one it ships is checked.
const vendors = require('node:fs')
  .readdirSync(require('node:path').join(__dirname, 'node_modules/@sso/middleware/dist/vendors'))
  .filter((file) => file.endsWith('.cjs'))
  .map((file) => file.slice(0, -4))
assert.ok(vendors.length >= 5, `vendors shipped: ${vendors}`)
for (const id of vendors) {
  assert.equal(require(`@sso/middleware/vendors/${id}`)[id], root[id], `vendors/${id}`)
}
assert.equal(kit.SsoError, root.SsoError)
for (const [name, entry] of [
  ['fetch', fetchEntry],
  ['fastify', fastifyEntry],
]) {
  assert.equal(entry.SsoError, root.SsoError, `@sso/middleware/${name} shares SsoError`)
  assert.equal(entry.komo, root.komo, `@sso/middleware/${name} shares komo`)
}
assert.equal(fetchEntry.ssoHandler, root.ssoHandler)
assert.equal('ssoMiddleware' in fetchEntry, false)
assert.equal(typeof fastifyEntry.ssoPlugin, 'function')
assert.equal(kit.defineVendor, root.defineVendor)
assert.equal(tokenStore.SsoError, reactRoot.SsoError)
assert.equal(tokenStore.createTokenStore, reactRoot.createTokenStore)

async function main() {
  const secret = randomBytes(32).toString('base64url')
  const user = { id: 'u_pack_1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }
  const sso = ssoMiddleware({
    getUser: async () => user,
    vendors: [
      komo({ secret }),
      // A vendor of the app's own, from the vendor kit alone: a logout route.
      kit.defineVendor({ id: 'acme', routes: [kit.logoutRoute('/acme/logout', '/')] }),
    ],
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
    const claims = await verifyVendorToken('komo', token, secret)
    assert.equal(claims.sub, user.id)
    assert.equal(claims.email, user.email)
    assert.equal(claims.first_name, 'Ada')
    assert.equal(claims.last_name, 'Lovelace')

    const crossSite = await fetch(`${url}/sso/komo/token`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    assert.equal(crossSite.status, 403)
    assert.equal((await fetch(`${url}/sso/komo/token`)).status, 405)
    const refused = await fetch(`${url}/sso/acme/logout`, {
      headers: { 'sec-fetch-dest': 'image' },
    })
    assert.equal(refused.status, 403)

    assert.throws(
      () => komo({ secret: 'short' }),
      (error) => isSsoError(error) && error.code === 'ERR_SSO_CONFIG',
    )
    for (const fn of [KomoProvider, useAuthRequestHandler, useKomo, komoSimulator]) {
      assert.equal(typeof fn, 'function')
    }
    // @sso/react's binding subpaths load, and reject with the root entry's one SsoError: Komo's
    // endpoint answers { token }, which a Metabase fetchRequestToken (asking for { jwt }) refuses.
    const bindings = {
      intercom: 'useIntercom',
      canny: 'CannyWidget',
      featurebase: 'useFeaturebase',
    }
    for (const [path, name] of Object.entries({ ...bindings, metabase: 'useFetchRequestToken' })) {
      assert.equal(typeof require(`@sso/react/${path}`)[name], 'function', `@sso/react/${path}`)
    }
    const { createFetchRequestToken } = require('@sso/react/metabase')
    const noJwt = await createFetchRequestToken({ tokenUrl: `${url}/sso/komo/token` })().catch(
      (e) => e,
    )
    assert.ok(noJwt instanceof reactRoot.SsoError, 'one SsoError across @sso/react entries')
    assert.equal(noJwt.code, 'ERR_SSO_BAD_RESPONSE')
    const handler = fetchEntry.ssoHandler({ getUser: () => user, vendors: [komo({ secret })] })
    const fetched = await handler(
      new Request('http://app.example/sso/komo/token', { method: 'POST' }),
    )
    const fetchedClaims = await verifyVendorToken('komo', (await fetched.json()).token, secret)
    assert.equal(fetchedClaims.sub, user.id)

    const app = Fastify()
    await app.register(fastifyEntry.ssoPlugin, {
      getUser: (request) => (request.headers['x-user'] === user.id ? user : null),
      vendors: [komo({ secret })],
    })
    await app.sso.ready
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const base = `http://127.0.0.1:${app.server.address().port}/sso/komo/token`
      const signedIn = await fetch(base, { method: 'POST', headers: { 'x-user': user.id } })
      const fastifyClaims = await verifyVendorToken('komo', (await signedIn.json()).token, secret)
      assert.equal(fastifyClaims.sub, user.id)
      assert.equal((await fetch(base, { method: 'POST' })).status, 401)
    } finally {
      await app.close()
    }
    console.log(
      'cjs consumer: token issued, verified, cross-site refused; every subpath shares one core; a vendor-kit route answers; the Fetch handler and the Fastify plugin sign',
    )
  } finally {
    server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
