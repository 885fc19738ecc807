// Signing alone, in one process: our `createSigner(...).sign` against the node:crypto
// createHmac floor and against jose called directly with a key imported once. Each contender
// runs for a time slice, alternating A B C D over the rounds; reports ops/s per round, one at a
// time (await each) and with 64 signatures in flight.
import { createHmac } from 'node:crypto'
import { serveParent } from '../lib/parent.mjs'
import {
  importFromMiddleware,
  importHmacKey,
  importVendorKit,
  ISSUER,
  requireFromRoot,
  SECRETS,
  USER,
} from './lib.mjs'

const [sliceMs = 500, rounds = 5] = (process.argv[2] ?? '').split(',').map(Number)

const secret = SECRETS.komo
// Every contender builds its claims as a plain literal, as a user would write them (object spread
// with extra keys is a slow path in V8 11, and would tax the baselines unfairly).
const claims = () => ({
  sub: USER.id,
  email: USER.email,
  first_name: USER.firstName,
  last_name: USER.lastName,
  iss: ISSUER,
})
const fullClaims = (iat) => ({
  sub: USER.id,
  email: USER.email,
  first_name: USER.firstName,
  last_name: USER.lastName,
  iss: ISSUER,
  iat,
  exp: iat + 3600,
})

const { createSigner } = await importVendorKit()
const signer = createSigner({ secret }, 'bench', ['HS256'])
await signer.ready

const { SignJWT } = await importFromMiddleware('jose')
const key = await importHmacKey(secret)
const header = { alg: 'HS256', typ: 'JWT' }
const head64 = Buffer.from(JSON.stringify(header)).toString('base64url')
const jwt = requireFromRoot('jsonwebtoken')

export const CONTENDERS = {
  floor: () => {
    const iat = Math.floor(Date.now() / 1000)
    const body = Buffer.from(JSON.stringify(fullClaims(iat))).toString('base64url')
    const input = `${head64}.${body}`
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  },
  ours: async () => (await signer.sign(claims(), { expiresIn: 3600 })).token,
  jose: () => {
    const iat = Math.floor(Date.now() / 1000)
    return new SignJWT(fullClaims(iat)).setProtectedHeader(header).sign(key)
  },
  jsonwebtoken: () => {
    const user = USER
    return jwt.sign(
      { sub: user.id, email: user.email, first_name: user.firstName, last_name: user.lastName },
      secret,
      { expiresIn: '1h', issuer: ISSUER },
    )
  },
}

/** Runs `op` for `ms` with `inFlight` calls outstanding; returns ops/s. */
async function measure(op, ms, inFlight) {
  let count = 0
  const end = performance.now() + ms
  const start = performance.now()
  const lane = async () => {
    while (performance.now() < end) {
      await op()
      count++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return count / ((performance.now() - start) / 1000)
}

const names = Object.keys(CONTENDERS)
const results = {}
for (const mode of [1, 64]) {
  results[mode] = Object.fromEntries(names.map((n) => [n, []]))
  // Warm up every contender (JIT, key caches) before anything is recorded.
  for (const name of names) await measure(CONTENDERS[name], Math.min(300, sliceMs), mode)
  for (let round = 0; round < rounds; round++) {
    for (const name of names)
      results[mode][name].push(await measure(CONTENDERS[name], sliceMs, mode))
  }
}
await serveParent(() => ({ ready: { results } }))
