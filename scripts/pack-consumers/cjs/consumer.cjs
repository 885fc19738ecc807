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

async function main() {
  const secret = randomBytes(32).toString('base64url')
  const user = { id: 'u_pack_1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }
  const sso = ssoMiddleware({
    getUser: async () => user,
    vendors: [komo({ secret })],
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

    assert.throws(
      () => komo({ secret: 'short' }),
      (error) => isSsoError(error) && error.code === 'ERR_SSO_CONFIG',
    )
    for (const fn of [KomoProvider, useAuthRequestHandler, useKomo, komoSimulator]) {
      assert.equal(typeof fn, 'function')
    }
    console.log('cjs consumer: token issued, verified, cross-site refused')
  } finally {
    server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
