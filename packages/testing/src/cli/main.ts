import { parseArgs } from 'node:util'
import { VENDORS } from '../vendors'
import type { TokenVendor } from '../vendors'
import { importVendorKey } from '../verify'
import type { KomoAlgorithm, VendorVerifyKey } from '../verify'
import { checkJwt } from './check'
import type { TokenReport } from './check'
import { checkDiscourse } from './discourse'
import {
  UsageError,
  discourseFromUrl,
  looksLikeUrl,
  readAll,
  secretVariable,
  tokenFromUrl,
} from './input'
import { formatJson, formatText } from './output'

/** The exit codes: the token is accepted, refused, or the command could not check it. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const

/** What `run` reads and writes, so tests and the bin share it. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdin: AsyncIterable<Buffer | string>
  write(text: string): void
  error(text: string): void
}

const ids = () => Object.keys(VENDORS)
const tokenVendors = () =>
  Object.entries(VENDORS)
    .filter(([, v]) => 'token' in v)
    .map(([id]) => id)

/** `komo: HS256, RS256, ES256`: the vendors whose rules allow several algorithms. */
const multiAlgorithm = () =>
  Object.entries(VENDORS)
    .flatMap(([id, v]) =>
      'token' in v && v.token.algorithms.length > 1
        ? [`${id}: ${v.token.algorithms.join(', ')}`]
        : [],
    )
    .join('; ')

/** Vendors whose simulator checks something other than a JWT; none of them is in `VENDORS.token`. */
const PAYLOAD_VENDORS = new Set(['discourse'])

function usage(): string {
  return `Usage: sso-check [options] <vendor> <token | url>
       sso-check [options] discourse <sso> <sig> | <url>

Checks a token the way the vendor's simulator in @sso/testing does and prints one line per check.

The secret (or, for Komo's RS256/ES256, the public key) is read from
  $<VENDOR>_SECRET (e.g. $ZENDESK_SECRET), else $SSO_CHECK_SECRET, or from standard input with
  --secret-stdin. It is never taken from the command line.

Options:
  --json            one JSON object on standard output
  --now <seconds>   check as of this Unix time (default: now)
  --secret-stdin    read the secret from standard input
  --alg <alg>       the algorithm the vendor is configured for, where it has a choice
                    (${multiAlgorithm()})
  --issuer <iss>    Komo: the configured issuer
  --max-age <s>     the longest iat age the vendor is configured to accept (Kustomer, Zendesk, Metabase)
  --max-lifetime <s>  Comm100: the longest exp - iat it is configured to accept
  --clock-tolerance <s>  the clock skew the vendor allows (default: 5)
  -h, --help        this text

Vendors: ${[...tokenVendors(), ...PAYLOAD_VENDORS].join(', ')}.
Exit codes: 0 the vendor accepts the token, 1 it refuses it, 2 usage or input error.
`
}

function refuseSecretFlag(argv: readonly string[]): void {
  const flag = argv.find((a) => /^--?(secret|key)(=|$)/i.test(a))
  if (flag) {
    throw new UsageError(
      `${flag.split('=')[0]} is refused: a secret on the command line is kept in your shell's history and shown to other users in the process list. Set $<VENDOR>_SECRET or $SSO_CHECK_SECRET, or pipe it in with --secret-stdin (e.g. sso-check --secret-stdin zendesk "$TOKEN" < secret.txt).`,
    )
  }
}

async function readSecret(
  vendor: string,
  fromStdin: boolean,
  io: CliIo,
): Promise<{ secret: string; source: string }> {
  if (fromStdin) {
    const secret = await readAll(io.stdin)
    if (secret === '') throw new UsageError('--secret-stdin: standard input is empty.')
    return { secret, source: 'standard input' }
  }
  for (const name of [secretVariable(vendor), 'SSO_CHECK_SECRET']) {
    const value = io.env[name]
    if (value !== undefined && value !== '') return { secret: value, source: `$${name}` }
  }
  throw new UsageError(
    `No secret: set $${secretVariable(vendor)} or $SSO_CHECK_SECRET, or use --secret-stdin.`,
  )
}

/**
 * The output with the secret, should the token carry it (an app that signs its secret into a
 * claim), replaced by `[secret]` and a note: the report goes to terminals and CI logs.
 */
function redacted(report: TokenReport, secret: string, format: (r: TokenReport) => string): string {
  const forms = [secret, JSON.stringify(secret).slice(1, -1)].filter((f) => f.length >= 4)
  if (!forms.some((f) => format(report).includes(f))) return format(report)
  report.notes.push(
    'The token holds the secret itself (shown as [secret]): remove it from the claims and rotate the secret.',
  )
  return forms.reduce((text, f) => text.split(f).join('[secret]'), format(report))
}

function parseNow(value: string | undefined): number {
  if (value === undefined) return Math.floor(Date.now() / 1000)
  if (!/^-?\d{1,12}(\.\d+)?$/.test(value)) {
    throw new UsageError(
      `--now must be a Unix time in seconds (got ${JSON.stringify(value.slice(0, 30))}).`,
    )
  }
  return Number(value)
}

/** A limit flag (`--max-age 600`) as the option it sets; a non-negative whole number of seconds. */
function seconds<K extends string>(
  flag: string,
  key: K,
  value: string | undefined,
): Partial<Record<K, number>> {
  if (value === undefined) return {}
  if (!/^\d{1,9}$/.test(value)) {
    throw new UsageError(
      `${flag} must be a whole number of seconds (got ${JSON.stringify(value.slice(0, 30))}).`,
    )
  }
  return { [key]: Number(value) } as Partial<Record<K, number>>
}

/**
 * The whole command: parses `argv` (without `node` and the script), checks the token and returns
 * the exit code. Never prints the secret, and never the token's signature.
 *
 * @example
 * ```ts
 * const code = await run(['zendesk', token, '--now', '1736942400'], { env: process.env, stdin: process.stdin, write: (t) => process.stdout.write(t), error: (t) => process.stderr.write(t) })
 * ```
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let json = false
  try {
    refuseSecretFlag(argv)
    let parsed: ReturnType<typeof parse>
    try {
      parsed = parse(argv)
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err))
    }
    const { values, positionals } = parsed
    json = values.json === true
    if (values.help) {
      io.write(usage())
      return EXIT.ok
    }
    const [vendor, ...rest] = positionals
    if (vendor === undefined) throw new UsageError('Name a vendor and a token.')
    if (!Object.hasOwn(VENDORS, vendor)) {
      throw new UsageError(
        `Unknown vendor ${JSON.stringify(vendor.slice(0, 40))}; use one of ${ids().join(', ')}.`,
      )
    }
    const now = parseNow(values.now)
    let report: TokenReport
    let secret: string
    if (PAYLOAD_VENDORS.has(vendor)) {
      const pair =
        rest.length === 2
          ? { sso: rest[0] as string, sig: rest[1] as string }
          : rest.length === 1
            ? discourseFromUrl(rest[0] as string)
            : undefined
      if (!pair) throw new UsageError('Discourse: pass sso and sig, or the URL that holds them.')
      const read = await readSecret(vendor, values['secret-stdin'] === true, io)
      secret = read.secret
      const { source } = read
      report = checkDiscourse(pair.sso, pair.sig, secret, source)
    } else if (!('token' in VENDORS[vendor as keyof typeof VENDORS])) {
      throw new UsageError(
        `${VENDORS[vendor as keyof typeof VENDORS].name} issues no token to check (its simulator checks API credentials).`,
      )
    } else {
      if (rest.length !== 1) throw new UsageError('Pass one token (or the URL it arrived in).')
      const input = (rest[0] as string).trim()
      const extracted = looksLikeUrl(input) ? tokenFromUrl(input) : { token: input }
      const read = await readSecret(vendor, values['secret-stdin'] === true, io)
      secret = read.secret
      const { source } = read
      const algorithm = values.alg as KomoAlgorithm | undefined
      const { algorithms } = VENDORS[vendor as TokenVendor].token
      if (algorithm !== undefined && !(algorithms as readonly string[]).includes(algorithm)) {
        throw new UsageError(
          `--alg: ${VENDORS[vendor as TokenVendor].name} can be configured with ${algorithms.join(', ')} only.`,
        )
      }
      let key: VendorVerifyKey
      try {
        key = await importVendorKey(vendor as TokenVendor, secret, algorithm ? { algorithm } : {})
      } catch (err) {
        // Never the key's text: the message names the source only.
        const reason =
          err instanceof TypeError && /accepts/.test(err.message)
            ? err.message
            : `${source} is not a usable ${algorithm ?? 'HS256'} key`
        throw new UsageError(reason)
      }
      report = await checkJwt(vendor as TokenVendor, extracted.token, key, {
        now,
        keySource: source,
        ...(algorithm ? { algorithm } : {}),
        ...(values.issuer !== undefined ? { issuer: values.issuer } : {}),
        ...seconds('--max-age', 'maxAgeSeconds', values['max-age']),
        ...seconds('--max-lifetime', 'maxLifetimeSeconds', values['max-lifetime']),
        ...seconds('--clock-tolerance', 'clockToleranceSeconds', values['clock-tolerance']),
      })
      if ('parameter' in extracted) {
        report.notes.unshift(`Token read from the URL's "${extracted.parameter}" parameter.`)
      }
    }
    io.write(redacted(report, secret, (r) => (json ? formatJson(r, now) : formatText(r, now))))
    return report.ok ? EXIT.ok : EXIT.refused
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    if (json)
      io.write(`${JSON.stringify({ ok: false, error: { code: 'usage', message: err.message } })}\n`)
    io.error(`sso-check: ${err.message}\n${json ? '' : 'Run sso-check --help for usage.\n'}`)
    return EXIT.usage
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      now: { type: 'string' },
      'secret-stdin': { type: 'boolean' },
      alg: { type: 'string' },
      issuer: { type: 'string' },
      'max-age': { type: 'string' },
      'max-lifetime': { type: 'string' },
      'clock-tolerance': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
