// A CommonJS app using the published packages as installed from their tarballs (each package's
// `require` build, which itself loads ESM-only jose through require(esm)): the middleware on
// node:http with komo(), a token fetched through @sso/react's token store and verified by
// @sso/testing the way Komo would. Exits non-zero on any mismatch.
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
    console.log(
      'cjs consumer: token issued, verified, cross-site refused; every subpath shares one core; a vendor-kit route answers',
    )
  } finally {
    server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
