import { randomBytes } from 'node:crypto'
import type { CheckLine, TokenReport } from '../cli/check'
import { duration, relative } from '../cli/time'
import { vendorName } from '../vendors'
import type { SimulatorVendor } from '../vendors'
import { Refusal } from './core'
import type { SimulatorContext } from './core'
import { html } from './html'
import type { SafeHtml } from './html'
import { page } from './page'
import { allowMethods } from './request'
import { sendHtml } from './respond'

/** One check the simulator ran, as its own rules reported it. */
export interface ReceivedCheck {
  readonly name: string
  readonly status: CheckLine['status']
  readonly detail: string
}

/**
 * What a simulator received and checked on a sign-in, shown on its "Signed in" page. Built from
 * the verifier's report (`TokenVerifier.report`, `checkDiscourse`), so the checks listed are the
 * vendor's own rules (`simulators/<id>/verify.ts`), never a copy of them. It holds no signature.
 */
export interface Received {
  /** Where the token arrived, e.g. ``query parameter `externalToken` ``. */
  readonly parameter: string
  /** `HS256`, or how the credential is protected when it is not a JWT. */
  readonly algorithm: string
  /** The token's shape with its signature removed, e.g. `header.payload.<signature removed>`. */
  readonly shape: string
  readonly header?: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
  /** `exp`, in seconds since the epoch, when the token has one. */
  readonly expiresAt?: number
  /**
   * What the page says about the lifetime instead of counting down to `exp`, for a credential
   * with no `exp` that the vendor limits another way, e.g. `one use; spent by this sign-in`.
   */
  readonly lifetime?: string
  /** The simulator's clock, in seconds since the epoch. */
  readonly now: number
  readonly checks: readonly ReceivedCheck[]
  readonly notes?: readonly string[]
}

/**
 * Turns the verifier's report on an accepted JWT into what the page shows; `extra` adds the
 * simulator's own request-time checks (a `jti` not used before, the agent exists, ...).
 */
export function receivedToken(
  report: TokenReport,
  parameter: string,
  nowMs: number,
  extra: {
    checks?: readonly ReceivedCheck[]
    notes?: readonly string[]
    /** For a credential that is not a JWT (Discourse's `sso` + `sig`). */
    algorithm?: string
    shape?: string
  } = {},
): Received {
  const claims = report.claims ?? {}
  const alg = report.header?.alg
  return {
    parameter,
    algorithm: extra.algorithm ?? (typeof alg === 'string' ? alg : 'none'),
    shape: extra.shape ?? 'header.payload.<signature removed>',
    ...(report.header ? { header: report.header } : {}),
    claims,
    ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    now: Math.floor(nowMs / 1000),
    checks: [
      ...report.checks.map(({ name, status, detail }) => ({ name, status, detail })),
      ...(extra.checks ?? []),
    ],
    notes: [...report.notes, ...(extra.notes ?? [])],
  }
}

const MARK: Record<CheckLine['status'], string> = { ok: '✓', fail: '✗', absent: '–', skipped: '·' }
const TIMES = new Set(['exp', 'iat', 'nbf'])

function shown(name: string, value: unknown, now: number): string {
  const text = JSON.stringify(value) ?? String(value)
  const cut = text.length > 200 ? `${text.slice(0, 199)}…` : text
  if (TIMES.has(name) && typeof value === 'number' && Math.abs(value) < 8.64e12) {
    const iso = new Date(value * 1000).toISOString().replace('.000Z', 'Z')
    return `${cut} (${iso}, ${relative(value - now)})`
  }
  return cut
}

function lifetimeLeft(received: Received): string {
  if (received.lifetime !== undefined) return received.lifetime
  if (received.expiresAt === undefined) return 'no exp claim: the vendor checks its age (see iat)'
  const left = received.expiresAt - received.now
  return left > 0 ? `${duration(left)} (until exp)` : `expired ${duration(left)} ago`
}

/**
 * The "What <vendor> received" panel: where the token arrived, its algorithm and shape (never its
 * signature), each claim with its value, the lifetime left, each check with ✓, and a link back to
 * the app. Every value is escaped by `html`.
 *
 * @example
 * ```ts
 * body: html`<h1>Signed in</h1>${receivedPanel('kustomer', received, { href: appUrl, label: 'Back to the app' })}`
 * ```
 */
export function receivedPanel(
  vendor: SimulatorVendor,
  received: Received,
  /** The link back to the app; left out inside a widget the app's page already frames. */
  back?: { href: string; label?: string },
): SafeHtml {
  const name = vendorName(vendor)
  const claims = Object.entries(received.claims)
  return html`<section class="received" id="received" aria-labelledby="received-title">
<h2 id="received-title">What ${name} received</h2>
<dl>
<dt>Arrived in</dt><dd data-received="parameter">${received.parameter}</dd>
<dt>Algorithm</dt><dd data-received="algorithm"><code>${received.algorithm}</code></dd>
<dt>Token</dt><dd data-received="shape"><code>${received.shape}</code></dd>
<dt>Lifetime left</dt><dd data-received="lifetime">${lifetimeLeft(received)}</dd>
</dl>
<h3>Claims</h3>
<table class="claims"><thead><tr><th>claim</th><th>value</th></tr></thead><tbody>
${claims.map(
  ([claim, value]) =>
    html`<tr data-claim="${claim}"><td><code>${claim}</code></td><td><code>${shown(claim, value, received.now)}</code></td></tr>
`,
)}</tbody></table>
<h3>Checks ${name} ran</h3>
<ul class="checks">
${received.checks.map(
  (check) =>
    html`<li data-check="${check.name}" data-status="${check.status}"><span class="mark">${MARK[check.status]}</span> <code>${check.name}</code> ${check.detail}</li>
`,
)}</ul>
${(received.notes ?? []).map((note) => html`<p class="note">${note}</p>\n`)}${
  back
    ? html`<p><a class="button" id="back-to-app" href="${back.href}">${back.label ?? 'Back to the app'}</a></p>`
    : ''
}
</section>`
}

/** A request-time check the simulator ran itself (outside the token rules), passed. */
export function passed(name: string, detail: string): ReceivedCheck {
  return { name, status: 'ok', detail }
}

/** The app's front page, from the URL the simulator sends people to (its login route). */
export function appHome(loginUrl: string | URL): string {
  try {
    return `${new URL(loginUrl).origin}/`
  } catch {
    return '/'
  }
}

/**
 * Where an accepted sign-in's `Received` waits for its page, for a simulator whose sign-in
 * happens in a widget on the app's page (a POST from a script), not on a page of its own. The
 * id is 128 random bits (base64url), the only key to the page; the oldest entry goes first once
 * `limit` are kept, so a busy test cannot grow the simulator without bound.
 */
export interface ReceiptBook {
  /** Keeps `received` (and the app's front page to link back to, when known); returns its id. */
  add(received: Received, back?: string): string
  /** The receipt with this id, or `undefined` (unknown or evicted). */
  get(id: string): { readonly received: Received; readonly back?: string } | undefined
  readonly size: number
}

/**
 * A bounded store of receipts, oldest evicted first.
 *
 * @example
 * ```ts
 * const receipts = receiptBook()
 * const id = receipts.add(received, appOrigin(ctx.req.headers.origin))
 * sendJson(ctx.res, 200, { contact, receipt: `${ctx.origin}/received/${id}` })
 * ```
 */
export function receiptBook(limit = 256): ReceiptBook {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TypeError('receiptBook: `limit` must be a positive integer')
  }
  const entries = new Map<string, { received: Received; back?: string }>()
  return {
    add(received, back) {
      const id = randomBytes(16).toString('base64url')
      entries.set(id, back === undefined ? { received } : { received, back })
      for (const oldest of entries.keys()) {
        if (entries.size <= limit) break
        entries.delete(oldest)
      }
      return id
    },
    get(id) {
      return entries.get(id)
    },
    get size() {
      return entries.size
    },
  }
}

/**
 * The app's front page from a widget request's `Origin` header, when it is exactly an
 * `http(s)` origin (`null`, paths, userinfo and other schemes give `undefined`).
 *
 * @example
 * ```ts
 * appOrigin('http://127.0.0.1:3000') // 'http://127.0.0.1:3000/'
 * ```
 */
export function appOrigin(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  try {
    const url = new URL(header)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    return url.origin === header ? `${url.origin}/` : undefined
  } catch {
    return undefined
  }
}

/** Where a simulator serves its receipts: `GET {origin}/received/<id>` (Intercom under `/messenger`). */
export const RECEIPT_PATH = /^\/received\/([A-Za-z0-9_-]{22})$/

/**
 * Serves `GET /received/<id>` from `book` as a simulator page with the panel (and a link back
 * to the app when the sign-in's request named its origin); an unknown or evicted id is a 404.
 *
 * @example
 * ```ts
 * if (ctx.path.startsWith('/received/')) return serveReceipt(ctx, 'komo', receipts)
 * ```
 */
export function serveReceipt(
  ctx: SimulatorContext,
  vendor: SimulatorVendor,
  book: ReceiptBook,
  /** The path from `/received/` on, when the simulator serves receipts under a prefix. */
  path: string = ctx.path,
): void {
  allowMethods(ctx, 'GET')
  const id = RECEIPT_PATH.exec(path)?.[1]
  const entry = id === undefined ? undefined : book.get(id)
  if (entry === undefined) {
    throw new Refusal(
      404,
      'unknown_receipt',
      'No sign-in with this receipt (unknown, or too old).',
      false,
    )
  }
  const name = vendorName(vendor)
  sendHtml(
    ctx.res,
    200,
    page({
      vendor,
      title: `What ${name} received`,
      body: html`<h1>Sign-in to ${name}: what it received</h1>
${receivedPanel(vendor, entry.received, entry.back === undefined ? undefined : { href: entry.back })}`,
    }),
  )
}
