/**
 * The same middleware on plain Connect + node:http, no Express: `getUser` reads an in-memory
 * session by cookie, to show it can come from anything the app already has.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isSafeRelativePath, komo, kustomer, type SsoUser, ssoMiddleware } from '@sso/middleware'
import { kustomerSimulator } from '@sso/testing'
import connect from 'connect'

const sessions = new Map<string, SsoUser>()
const sessionOf = (req: IncomingMessage) => {
  const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1]
  return sid ? (sessions.get(sid) ?? null) : null
}

export async function startConnectExample(
  port = Number(process.env.PORT ?? 3001),
  host = '127.0.0.1',
) {
  const app = connect()
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  const url = `http://${host}:${(server.address() as AddressInfo).port}`

  const kustomerSecret = randomBytes(32).toString('base64url')
  const sim = await kustomerSimulator({
    secret: kustomerSecret,
    loginUrl: `${url}/sso/kustomer/login`,
  }).listen(0, host)

  app.use(
    ssoMiddleware({
      getUser: sessionOf,
      loginUrl: '/login',
      vendors: [
        komo({ secret: randomBytes(32).toString('base64url') }),
        kustomer({ secret: kustomerSecret, allowedHosts: [sim.url] }),
      ],
    }),
  )
  app.use('/login', (req, res) => {
    // Demo only: GET /login?email=…&returnTo=… signs in at once.
    const query = new URL(req.url ?? '/', url).searchParams
    const email = query.get('email')
    if (!email) {
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(
        '<form><input name="email" type="email"><input type="hidden" name="returnTo" value="/"><button>Log in</button></form>',
      )
      return
    }
    const sid = randomBytes(16).toString('hex')
    sessions.set(sid, { id: `u_${sid.slice(0, 8)}`, email, emailVerified: true })
    const returnTo = query.get('returnTo') ?? '/'
    res.statusCode = 303
    res.setHeader('set-cookie', `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`)
    res.setHeader('location', isSafeRelativePath(returnTo) ? returnTo : '/')
    res.end()
  })
  app.use((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8')
    res.end(`<h1>Connect example</h1><p><a href="${sim.url}/">Kustomer</a></p>`)
  })
  return {
    url,
    kustomerUrl: sim.url,
    close: async () => {
      server.closeAllConnections()
      await Promise.all([new Promise<void>((r) => server.close(() => r())), sim.close()])
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await startConnectExample()
  console.log(`Connect example on ${running.url} (Kustomer simulator on ${running.kustomerUrl})`)
}
