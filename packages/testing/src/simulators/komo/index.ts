import { komoEmbedPath, komoEmbedSource } from '../../komo-embed/embed'
import { Refusal, createSimulatorCore } from '../../server/core'
import { OPEN_CORS, answeredPreflightOrMethod } from '../../server/cors'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireString } from '../../server/options'
import { page } from '../../server/page'
import { appOrigin, receiptBook, receivedToken, serveReceipt } from '../../server/received'
import { BodyError, readJsonBody } from '../../server/request'
import { sendHtml, sendJson, sendScript } from '../../server/respond'
import { tokenVerifier } from '../../server/verifier'
import type { KomoAlgorithm, VendorKeyInput } from '../../verify'

/**
 * Komo's signing setup: the shared secret (HS256), or a public key for RS256/ES256.
 */
export type KomoKeyOptions =
  | {
      /** The shared secret configured in the Komo Portal (HS256, used as UTF-8 bytes). */
      secret: string
      publicKey?: never
      algorithm?: 'HS256'
    }
  | {
      /** The public key configured in the Komo Portal: PEM (SPKI or X.509), JWK or key object. */
      publicKey: Exclude<VendorKeyInput, Uint8Array>
      /** The algorithm it is pinned to. */
      algorithm: Exclude<KomoAlgorithm, 'HS256'>
      secret?: never
    }

/**
 * Options of `komoSimulator`.
 */
export type KomoSimulatorOptions = KomoKeyOptions &
  SimulatorBaseOptions & {
    /** The `iss` the tokens must carry. (default: not checked) */
    issuer?: string
  }

/**
 * A Komo contact created or updated by a verified token.
 *
 * @example
 * ```ts
 * expect(komo.contacts.get('ada@example.com')).toEqual({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' })
 * ```
 */
export interface KomoContact {
  readonly email: string
  readonly firstName: string
  readonly lastName: string
}

/**
 * The Komo hub stand-in.
 */
export interface KomoSimulator extends Simulator {
  readonly vendor: 'komo'
  /** Contacts seen so far, by email. */
  readonly contacts: ReadonlyMap<string, KomoContact>
}

/**
 * A local Komo hub: serves the embed SDK and verifies the tokens it sends.
 *
 * Routes: `GET /assets/embed/embed.js` (the SDK, `text/javascript`); `POST /api/verify` with JSON
 * `{ token }` (CORS open to any origin, preflight included) answers
 * `{ contact: { email, firstName, lastName }, receipt }` (`receipt`: the URL of a page showing what
 * Komo received and checked, `GET /received/<id>`, the last 256 kept) or `401 { error: { code, message } }` after checking
 * the pinned algorithm, signature, `sub`, `email`, `exp` > now, `iat` not in the future and `iss`
 * when `issuer` is set; `GET /` describes the hub.
 *
 * @example
 * ```ts
 * const komo = komoSimulator({ secret: process.env.KOMO_SSO_SECRET! })
 * const { url, close } = await komo.listen(4002)
 * // on the host page: <script async src="${url}/assets/embed/embed.js"></script>
 * ```
 * @example
 * ```ts
 * const komo = komoSimulator({ publicKey: spkiPem, algorithm: 'RS256', issuer: 'acme-app' })
 * ```
 */
export function komoSimulator(options: KomoSimulatorOptions): KomoSimulator {
  const algorithm: KomoAlgorithm = options.publicKey === undefined ? 'HS256' : options.algorithm
  if (options.publicKey === undefined) {
    requireString('komo', 'secret', options.secret)
  } else if (algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw new TypeError("komoSimulator: with `publicKey`, `algorithm` must be 'RS256' or 'ES256'")
  }
  const verifyToken = tokenVerifier(
    'komo',
    options.publicKey ?? (options.secret as string),
    algorithm,
  )
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  const contacts = new Map<string, KomoContact>()
  const receipts = receiptBook()

  function refuse(ctx: SimulatorContext, status: number, code: string, message: string): void {
    events.push({ type: 'refused', vendor: 'komo', at: now(), code, detail: message })
    sendJson(ctx.res, status, { error: { code, message } }, OPEN_CORS)
  }

  async function verify(ctx: SimulatorContext): Promise<void> {
    if (answeredPreflightOrMethod(ctx)) return
    let body: unknown
    try {
      body = await readJsonBody(ctx.req, 32_768)
    } catch (err) {
      if (err instanceof BodyError) return refuse(ctx, err.status, err.code, err.message)
      throw err
    }
    const token =
      typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined
    if (typeof token !== 'string' || token === '') {
      return refuse(ctx, 400, 'missing_token', 'Send JSON { "token": "<jwt>" }.')
    }
    let claims: Record<string, unknown>
    const verifyOptions = {
      now: now(),
      algorithm,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    }
    try {
      claims = await verifyToken(token, verifyOptions)
    } catch (err) {
      if (err instanceof Refusal) return refuse(ctx, err.status, err.code, err.message)
      throw err
    }
    const contact: KomoContact = {
      email: String(claims.email),
      firstName: typeof claims.first_name === 'string' ? claims.first_name : '',
      lastName: typeof claims.last_name === 'string' ? claims.last_name : '',
    }
    contacts.set(contact.email.toLowerCase(), contact)
    events.push({
      type: 'signed-in',
      vendor: 'komo',
      at: now(),
      email: contact.email,
      sub: String(claims.sub),
      claims,
    })
    const received = receivedToken(
      await verifyToken.report(token, verifyOptions),
      'JSON field token (POST /api/verify)',
      verifyOptions.now,
    )
    const id = receipts.add(received, appOrigin(ctx.req.headers.origin))
    sendJson(ctx.res, 200, { contact, receipt: `${ctx.origin}/received/${id}` }, OPEN_CORS)
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/api/verify') return verify(ctx)
    if (ctx.path.startsWith('/received/')) return serveReceipt(ctx, 'komo', receipts)
    if (ctx.path === komoEmbedPath && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      sendScript(ctx.res, komoEmbedSource)
      return
    }
    if (ctx.path === '/' && ctx.method === 'GET') {
      const script = `${ctx.origin}${komoEmbedPath}`
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'komo',
          title: 'Hub',
          body: html`<h1>Komo hub</h1>
<p>Embed cards on your page with <code>&lt;div data-komo-card="welcome"&gt;&lt;/div&gt;</code> and the SDK:</p>
<p><code>&lt;script async src="${script}"&gt;&lt;/script&gt;</code></p>`,
        }),
      )
      return
    }
    ctx.notFound()
  }

  const core = createSimulatorCore({ ...options, vendor: 'komo', events, route })
  return {
    ...core,
    vendor: 'komo',
    get contacts() {
      return contacts
    },
  }
}
