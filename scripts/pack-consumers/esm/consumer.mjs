// An ESM app using the published packages as installed from their tarballs: the middleware on
// node:http with komo(), a token fetched through @sso/react's token store and verified by
// @sso/testing the way Komo would. Exits non-zero on any mismatch.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { isSsoError, komo, ssoMiddleware } from '@sso/middleware'
import {
  createTokenStore,
  fetchTokenFrom,
  KomoProvider,
  useAuthRequestHandler,
  useKomo,
} from '@sso/react'
import { komoSimulator, verifyVendorToken } from '@sso/testing'

const secret = randomBytes(32).toString('base64url')
const user = { id: 'u_pack_1', email: 'ada@example.com', name: 'Ada Lovelace' }
const sso = ssoMiddleware({
  getUser: () => user,
  vendors: [komo({ secret, issuer: 'pack-check' })],
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

  assert.throws(
    () => komo({ secret: 'short' }),
    (error) => isSsoError(error) && error.code === 'ERR_SSO_CONFIG',
  )
  for (const fn of [KomoProvider, useAuthRequestHandler, useKomo, komoSimulator]) {
    assert.equal(typeof fn, 'function')
  }
  console.log('esm consumer: token issued, verified, cross-site refused')
} finally {
  server.close()
}
