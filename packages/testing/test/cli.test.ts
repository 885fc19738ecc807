import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair } from 'jose'
import type { JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signDiscoursePayload } from '../src/simulators/discourse/verify'
import { VENDORS } from '../src/vendors'
import type { TokenVendor } from '../src/vendors'
import { VendorTokenError, verifyVendorToken } from '../src/verify'
import { NOW, OTHER_SECRET, SECRET } from './helpers'

// The CLI runs as a real process: the bin's source bundled once with esbuild, then `node` per
// case, with a clean environment (nothing of this process's), real stdin and exit codes.
let dir: string
let bin: string
const runTimes: number[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sso-check-'))
  bin = join(dir, 'sso-check.mjs')
  await build({
    entryPoints: [join(import.meta.dirname, '../src/cli/bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bin,
    logLevel: 'warning',
  })
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
  if (runTimes.length > 0) {
    const sorted = [...runTimes].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    console.info(`sso-check: ${runTimes.length} runs, median ${median} ms, max ${sorted.at(-1)} ms`)
  }
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function cli(
  args: readonly string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: opts.env ?? {}, stdio: 'pipe' })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => {
      runTimes.push(Date.now() - started)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.stdin ?? '')
  })
}

const sign = (
  claims: JWTPayload,
  secret = SECRET,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
) =>
  new SignJWT(claims)
    .setProtectedHeader(header as { alg: string })
    .sign(new TextEncoder().encode(secret))

const envFor = (vendor: string, secret = SECRET) => ({ [`${vendor.toUpperCase()}_SECRET`]: secret })

/** The line of a check (`✓ email …`, `✗ iat …`) and the message and fix printed under it. */
function lineOf(stdout: string, name: string) {
  const lines = stdout.split('\n')
  const at = lines.findIndex((l) => /^[✓✗·-] /.test(l) && l.slice(2).split(/[ :]/)[0] === name)
  if (at < 0) throw new Error(`no line for ${name} in:\n${stdout}`)
  const under = lines.slice(at + 1, at + 3).filter((l) => l.startsWith('    '))
  return {
    line: lines[at] as string,
    mark: (lines[at] as string)[0],
    message: under.find((l) => !l.startsWith('    fix: '))?.trim(),
    fix: under.find((l) => l.startsWith('    fix: '))?.slice('    fix: '.length),
  }
}

function expectNoLeak(
  run: Run,
  token?: string,
  secrets: readonly string[] = [SECRET, OTHER_SECRET],
) {
  for (const secret of secrets) {
    expect(run.stdout).not.toContain(secret)
    expect(run.stderr).not.toContain(secret)
  }
  if (token) {
    const signature = token.split('.')[2] as string
    if (signature.length > 0) {
      expect(run.stdout).not.toContain(signature)
      expect(run.stderr).not.toContain(signature)
    }
  }
}

/** What the library says of the same token: the CLI's verdict must be exactly this. */
async function libraryRefusal(vendor: TokenVendor, token: string, secret = SECRET) {
  try {
    await verifyVendorToken(vendor, token, secret, { now: NOW * 1000 })
    return undefined
  } catch (err) {
    if (err instanceof VendorTokenError) return { code: err.code, message: err.message }
    throw err
  }
}

interface Case {
  name: string
  claims: JWTPayload
  header?: Record<string, unknown>
  /** Extra arguments (e.g. --issuer). */
  args?: string[]
  /** The check line that fails, the refusal code, and fragments of its message and fix. */
  line: string
  code: string
  message: RegExp
  fix: RegExp
}

const EMAIL = 'ada@example.com'

/** The vendor refuses the token without `claim`: its simulator's message, and this fix. */
const missing = (claim: string, fix: RegExp): Case => ({
  name: `missing ${claim}`,
  claims: { [claim]: undefined },
  line: claim,
  code: 'missing_claim',
  message: new RegExp(`the "${claim}" claim is required`),
  fix,
})

/** A token each vendor accepts, and every class of refusal its simulator has. */
const VENDOR_CASES: Record<string, { good: JWTPayload; cases: Case[] }> = {
  komo: {
    good: {
      sub: 'u_1',
      email: EMAIL,
      first_name: 'Ada',
      last_name: 'Lovelace',
      iat: NOW,
      exp: NOW + 3600,
    },
    cases: [
      missing('sub', /Add "sub"/),
      missing('email', /Add "email"/),
      {
        name: 'not an email',
        claims: { email: 'ada' },
        line: 'email',
        code: 'invalid_claim',
        message: /not an email address/,
        fix: /Fix the value of "email"/,
      },
      missing('exp', /Set "exp"/),
      {
        name: 'expired',
        claims: { exp: NOW - 600 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 10 min ago: sign a fresh token/,
      },
      {
        name: 'iat in milliseconds',
        claims: { iat: NOW * 1000 },
        line: 'iat',
        code: 'issued_in_future',
        message: /"iat" claim is in the future/,
        fix: /looks like milliseconds/,
      },
      {
        name: 'wrong issuer',
        claims: { iss: 'https://other.example' },
        args: ['--issuer', 'https://app.example'],
        line: 'iss',
        code: 'bad_issuer',
        message: /"iss" claim must be "https:\/\/app.example"/,
        fix: /Set "iss"/,
      },
    ],
  },
  kustomer: {
    good: { email: EMAIL, iat: NOW - 60 },
    cases: [
      missing('email', /Add "email"/),
      missing('iat', /Set "iat" to the current time/),
      {
        name: 'iat too old',
        claims: { iat: NOW - 20 * 60 },
        line: 'iat',
        code: 'too_old',
        message: /more than 15 minutes old/,
        fix: /iat is 20 min old; Kustomer accepts at most 15 min 5 s: sign the token just before/,
      },
      {
        name: 'iat in the future',
        claims: { iat: NOW + 120 },
        line: 'iat',
        code: 'issued_in_future',
        message: /"iat" claim is in the future/,
        fix: /iat is 2 min ahead of Kustomer's clock; Kustomer accepts at most 5 s: .*clock/,
      },
      {
        name: 'iat not a number',
        claims: { iat: 'yesterday' as unknown as number },
        line: 'iat',
        code: 'invalid_claim',
        message: /must be a number of seconds/,
        fix: /Fix the value of "iat"/,
      },
    ],
  },
  comm100: {
    good: {
      email: EMAIL,
      name: 'Ada',
      jti: '6f1c1c52-4f0e-4b8e-9f5e-2d1e8f0b6a11',
      iat: NOW,
      nbf: NOW,
      exp: NOW + 300,
      aud: 'Comm100',
    },
    cases: [
      missing('email', /Add "email"/),
      missing('jti', /fresh random UUID/),
      missing('aud', /Set "aud"/),
      {
        name: 'wrong audience',
        claims: { aud: 'Comm10' },
        line: 'aud',
        code: 'bad_audience',
        message: /"aud" claim must be "Comm100"/,
        fix: /Set "aud" to the value Comm100 expects/,
      },
      missing('exp', /Set "exp"/),
      missing('iat', /Set "iat"/),
      missing('nbf', /Add "nbf"/),
      {
        name: 'expired',
        claims: { iat: NOW - 900, nbf: NOW - 900, exp: NOW - 600 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 10 min ago/,
      },
      {
        name: 'not yet valid',
        claims: { nbf: NOW + 600 },
        line: 'nbf',
        code: 'not_yet_valid',
        message: /not valid yet/,
        fix: /nbf is 10 min in the future/,
      },
      {
        name: 'lifetime too long',
        claims: { exp: NOW + 40 * 60 },
        line: 'lifetime',
        code: 'lifetime_too_long',
        message: /lives longer than 30 minutes/,
        fix: /^exp is 40 min after iat; Comm100 accepts at most 30 min: lower expiresIn\.$/,
      },
      {
        name: 'iat in the future',
        claims: { iat: NOW + 600, exp: NOW + 900 },
        line: 'iat',
        code: 'issued_in_future',
        message: /"iat" claim is in the future/,
        fix: /iat is 10 min ahead/,
      },
    ],
  },
  bettermode: {
    good: { sub: 'u_1', name: 'Ada Lovelace', email: EMAIL, iat: NOW, exp: NOW + 60 },
    cases: [
      missing('sub', /Add "sub"/),
      missing('name', /Add "name"/),
      missing('email', /Add "email"/),
      missing('exp', /Set "exp"/),
      {
        name: 'sub over 50 characters',
        claims: { sub: 'x'.repeat(51) },
        line: 'sub',
        code: 'claim_too_long',
        message: /"sub" claim must be 50 characters or less/,
        fix: /Shorten "sub" \(now 51 characters\)/,
      },
      {
        name: 'email over 200 characters',
        claims: { email: `${'a'.repeat(195)}@example.com` },
        line: 'email',
        code: 'claim_too_long',
        message: /200 characters or less/,
        fix: /Shorten "email" \(now 207 characters\)/,
      },
      {
        name: 'picture not http(s)',
        claims: { picture: 'javascript:alert(1)' },
        line: 'picture',
        code: 'invalid_claim',
        message: /full http:\/\/ or https:\/\/ URL/,
        fix: /Fix the value of "picture"/,
      },
      {
        name: 'spacesOperation not ADD or REPLACE',
        claims: { spacesOperation: 'MERGE' },
        line: 'spacesOperation',
        code: 'invalid_claim',
        message: /"ADD" or "REPLACE"/,
        fix: /Fix the value/,
      },
      {
        name: 'expired',
        claims: { exp: NOW - 30 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 30 s ago/,
      },
    ],
  },
  zendesk: {
    good: {
      email: EMAIL,
      name: 'Ada Lovelace',
      jti: 'c1d2e3f4-0000-4000-8000-000000000001',
      external_id: 'u_1',
      iat: NOW - 30,
    },
    cases: [
      {
        name: 'no typ header',
        claims: {},
        header: { alg: 'HS256' },
        line: 'typ',
        code: 'wrong_type',
        message: /header "typ" must be "JWT" \(got none\)/,
        fix: /Set the protected header's "typ"/,
      },
      missing('email', /Add "email"/),
      missing('name', /Add "name"/),
      missing('jti', /fresh random UUID/),
      missing('iat', /Set "iat"/),
      {
        name: 'iat 20 minutes old',
        claims: { iat: NOW - 20 * 60 },
        line: 'iat',
        code: 'too_old',
        message: /more than 3 minutes old/,
        fix: /^iat is 20 min old; Zendesk accepts at most 3 min: sign the token just before sending the user to Zendesk/,
      },
      {
        name: 'iat in the future',
        claims: { iat: NOW + 600 },
        line: 'iat',
        code: 'issued_in_future',
        message: /more than 3 minutes in the future/,
        fix: /iat is 10 min ahead of Zendesk's clock; Zendesk accepts at most 3 min/,
      },
      {
        name: 'exp in the past',
        claims: { exp: NOW - 60 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 1 min ago/,
      },
      {
        name: 'role not a Zendesk role',
        claims: { role: 'owner' },
        line: 'role',
        code: 'invalid_claim',
        message: /"user", "agent" or "admin"/,
        fix: /Fix the value of "role"/,
      },
    ],
  },
}

// The four second-round vendors with JWTs: each class of refusal their simulators have.
Object.assign(VENDOR_CASES, {
  intercom: {
    good: { user_id: 'u_1', email: EMAIL, name: 'Ada', iat: NOW, exp: NOW + 3600 },
    cases: [
      missing('user_id', /Add "user_id"/),
      {
        name: 'a numeric user_id',
        claims: { user_id: 42 },
        line: 'user_id',
        code: 'invalid_claim',
        message: /"user_id" claim must be a string/,
        fix: /Fix the value of "user_id"/,
      },
      {
        name: 'a non-string attribute',
        claims: { plan_seats: 3 },
        line: 'plan_seats',
        code: 'invalid_claim',
        message: /"plan_seats" attribute must be a string/,
        fix: /Fix the value of "plan_seats"/,
      },
      {
        name: 'expired',
        claims: { exp: NOW - 600 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 10 min ago/,
      },
    ],
  },
  canny: {
    good: { id: 'u_1', email: EMAIL, name: 'Ada', iat: NOW, exp: NOW + 600 },
    cases: [
      missing('id', /Add "id"/),
      missing('email', /Add "email"/),
      missing('name', /Add "name"/),
      {
        name: 'an http avatarURL',
        claims: { avatarURL: 'http://cdn.example/a.png' },
        line: 'avatarURL',
        code: 'invalid_claim',
        message: /"avatarURL" claim must be an https URL/,
        fix: /Fix the value of "avatarURL"/,
      },
      {
        name: 'expired',
        claims: { exp: NOW - 600 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 10 min ago/,
      },
    ],
  },
  featurebase: {
    good: { userId: 'u_1', email: EMAIL, name: 'Ada', iat: NOW, exp: NOW + 600 },
    cases: [
      {
        name: 'neither email nor userId',
        claims: { email: undefined, userId: undefined },
        line: 'email',
        code: 'missing_claim',
        message: /needs an "email" or a "userId" claim/,
        fix: /email/,
      },
      {
        name: 'an http profilePicture',
        claims: { profilePicture: 'http://cdn.example/a.png' },
        line: 'profilePicture',
        code: 'invalid_claim',
        message: /"profilePicture" claim must be an https:\/\/ URL/,
        fix: /Fix the value of "profilePicture"/,
      },
      {
        name: 'expired',
        claims: { exp: NOW - 600 },
        line: 'exp',
        code: 'expired',
        message: /has expired/,
        fix: /exp was 10 min ago/,
      },
    ],
  },
  metabase: {
    good: { email: EMAIL, first_name: 'Ada', last_name: 'Lovelace', iat: NOW, exp: NOW + 600 },
    cases: [
      missing('email', /Add "email"/),
      {
        name: 'iat too old for a login',
        claims: { iat: NOW - 600, exp: NOW + 600 },
        line: 'iat',
        code: 'too_old',
        message: /old/,
        fix: /iat is 10 min old; Metabase accepts at most 3 min/,
      },
      {
        name: 'groups that are not a list of names',
        claims: { groups: 'Administrators' },
        line: 'groups',
        code: 'invalid_claim',
        message: /"groups" claim must be an array of group names/,
        fix: /Fix the value of "groups"/,
      },
    ],
  },
} satisfies Record<string, { good: JWTPayload; cases: Case[] }>)

describe('sso-check: each vendor, a good token and every refusal class', () => {
  for (const [vendor, { good, cases }] of Object.entries(VENDOR_CASES)) {
    describe(vendor, () => {
      it('accepts a good token: exit 0, one ✓ line per check, the claims shown, OK', async () => {
        const token = await sign(good)
        const run = await cli([vendor, token, '--now', String(NOW)], { env: envFor(vendor) })
        expect(run.stderr).toBe('')
        expect(run.code).toBe(0)
        expect(run.stdout).not.toMatch(/^✗/m)
        expect(lineOf(run.stdout, 'signature').line).toMatch(
          /^✓ signature: HS256, matches the secret from \$\w+_SECRET$/,
        )
        for (const claim of Object.keys(good)) expect(lineOf(run.stdout, claim).mark).toBe('✓')
        expect(run.stdout).toContain(`  claims  ${JSON.stringify(good)}`)
        expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
          `OK: ${VENDORS[vendor as TokenVendor].name} accepts this token.`,
        )
        expectNoLeak(run, token)
      })

      for (const c of cases) {
        it(`refuses ${c.name}: exit 1, ✗ ${c.line} with the simulator's message and a fix`, async () => {
          const claims = { ...good, ...c.claims }
          for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k]
          const token = await sign(claims, SECRET, c.header)
          const run = await cli([vendor, token, '--now', String(NOW), ...(c.args ?? [])], {
            env: envFor(vendor),
          })
          expect(run.code).toBe(1)
          const line = lineOf(run.stdout, c.line)
          expect(line.mark).toBe('✗')
          expect(line.message).toMatch(c.message)
          expect(line.fix).toMatch(c.fix)
          expect(run.stdout).toMatch(new RegExp(`^REFUSED: .* answers ${c.code}\\)\\.$`, 'm'))
          if (!c.args) {
            // The verdict is the library's (the simulator's) own, word for word.
            const library = await libraryRefusal(vendor as TokenVendor, token)
            expect(library?.code).toBe(c.code)
            expect(run.stdout).toContain(`    ${library?.message}`)
          }
          expectNoLeak(run, token)
        })
      }
    })
  }
})

describe("sso-check: the rules on each line are the simulator's, found by running them", () => {
  const detail = (report: { checks: { name: string; detail: string }[] }, name: string) =>
    report.checks.find((c) => c.name === name)?.detail

  it('Comm100: aud is required (a rule outside ClaimChecker), the lifetime at most 30 min', async () => {
    const token = await sign(VENDOR_CASES.comm100?.good as JWTPayload)
    const run = await cli(['comm100', token, '--now', String(NOW), '--json'], {
      env: envFor('comm100'),
    })
    const report = JSON.parse(run.stdout)
    expect(detail(report, 'aud')).toBe('required')
    expect(detail(report, 'lifetime')).toBe('exp is 5 min after iat; at most 30 min')
    expect(detail(report, 'exp')).toBe(
      '2025-01-15T12:05:00Z, in 5 min; required, must be in the future',
    )
  })

  it('Zendesk: iat at most 3 min old and 3 min ahead; Bettermode: sub at most 50 characters', async () => {
    const zendesk = JSON.parse(
      (
        await cli(
          [
            'zendesk',
            await sign(VENDOR_CASES.zendesk?.good as JWTPayload),
            '--now',
            String(NOW),
            '--json',
          ],
          { env: envFor('zendesk') },
        )
      ).stdout,
    )
    expect(detail(zendesk, 'iat')).toBe(
      "2025-01-15T11:59:30Z, 30 s ago; required, at most 3 min old, at most 3 min ahead of the vendor's clock",
    )
    expect(detail(zendesk, 'role')).toBe('not set; optional')
    const bettermode = JSON.parse(
      (
        await cli(
          [
            'bettermode',
            await sign(VENDOR_CASES.bettermode?.good as JWTPayload),
            '--now',
            String(NOW),
            '--json',
          ],
          { env: envFor('bettermode') },
        )
      ).stdout,
    )
    expect(detail(bettermode, 'sub')).toBe('required, at most 50 characters')
    expect(detail(bettermode, 'email')).toBe('required, an email address, at most 200 characters')
  })
})

describe("sso-check: the vendor's configured limits (--max-age, --max-lifetime, --clock-tolerance)", () => {
  const check = async (vendor: TokenVendor, token: string, flags: string[] = []) => {
    const run = await cli([vendor, token, '--now', String(NOW), '--json', ...flags], {
      env: envFor(vendor),
    })
    return { code: run.code, report: JSON.parse(run.stdout) }
  }
  type Line = { name: string; status: string; detail: string; code?: string }
  const line = (report: { checks: Line[] }, name: string) =>
    report.checks.find((c) => c.name === name) as Line

  it('--max-age: a 30 min old Kustomer token is refused by default and accepted under a 1 h limit, as the library decides', async () => {
    const token = await sign({ email: EMAIL, iat: NOW - 1800 })
    const byDefault = await check('kustomer', token)
    expect(byDefault.code).toBe(1)
    expect(line(byDefault.report, 'iat')).toMatchObject({ status: 'fail', code: 'too_old' })
    const longer = await check('kustomer', token, ['--max-age', '3600'])
    expect(longer.code).toBe(0)
    expect(line(longer.report, 'iat').status).toBe('ok')
    expect(line(longer.report, 'iat').detail).toContain('at most 1 h old')
    // The same verdicts as the library with the same options.
    await expect(
      verifyVendorToken('kustomer', token, SECRET, { now: NOW * 1000, maxAgeSeconds: 3600 }),
    ).resolves.toMatchObject({ email: EMAIL })
    expect(await libraryRefusal('kustomer', token)).toMatchObject({ code: 'too_old' })
  })

  it('--max-lifetime: a Comm100 token living 45 min is refused by default (30 min) and accepted under 1 h', async () => {
    const good = VENDOR_CASES.comm100?.good as JWTPayload
    const token = await sign({ ...good, iat: NOW, exp: NOW + 2700 })
    const byDefault = await check('comm100', token)
    expect(byDefault.code).toBe(1)
    expect(line(byDefault.report, 'lifetime')).toMatchObject({
      status: 'fail',
      code: 'lifetime_too_long',
    })
    const longer = await check('comm100', token, ['--max-lifetime', '3600'])
    expect(longer.code).toBe(0)
    expect(line(longer.report, 'lifetime').detail).toBe('exp is 45 min after iat; at most 1 h')
  })

  it('--clock-tolerance: a Komo token expired 3 s ago passes the default 5 s skew and fails with none', async () => {
    const token = await sign({ sub: 'u_1', email: EMAIL, exp: NOW - 3 })
    expect((await check('komo', token)).code).toBe(0)
    const strict = await check('komo', token, ['--clock-tolerance', '0'])
    expect(strict.code).toBe(1)
    expect(line(strict.report, 'exp')).toMatchObject({ status: 'fail', code: 'expired' })
  })

  it('a limit that is not a whole number of seconds is a usage error (exit 2)', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    for (const [flag, value] of [
      ['--max-age', '-1'],
      ['--max-age', '1.5'],
      ['--max-lifetime', '1h'],
      ['--clock-tolerance', ''],
    ] as const) {
      const run = await cli(['kustomer', token, `${flag}=${value}`], { env: envFor('kustomer') })
      expect(run.code, `${flag} ${value}`).toBe(2)
      expect(run.stderr).toContain(`${flag} must be a whole number of seconds`)
    }
  })
})

describe('sso-check: every registered JWT vendor (found in VENDORS, so vendors added later too)', () => {
  const tokenVendors = Object.entries(VENDORS)
    .filter(([, v]) => 'token' in v)
    .map(([id]) => id as TokenVendor)

  it('knows every vendor this file has cases for', () => {
    for (const vendor of Object.keys(VENDOR_CASES)) expect(tokenVendors).toContain(vendor)
  })

  for (const vendor of tokenVendors) {
    it(`${vendor}: a token signed with another secret fails the signature check, the secret never shown`, async () => {
      const token = await sign({ sub: 'u_1', email: EMAIL, iat: NOW }, OTHER_SECRET)
      const run = await cli([vendor, token, '--now', String(NOW)], { env: envFor(vendor) })
      expect(run.code).toBe(1)
      const line = lineOf(run.stdout, 'signature')
      expect(line.mark).toBe('✗')
      expect(line.message).toMatch(/the signature does not match the configured key/)
      expect(line.fix).toMatch(/UTF-8 bytes \(never base64-decoded\)/)
      expect(run.stdout).toMatch(/note: The claims above are decoded, not verified/)
      expectNoLeak(run, token)
    })

    it(`${vendor}: alg none and HS512 are refused before the signature`, async () => {
      for (const token of [
        new UnsecuredJWT({ email: EMAIL }).encode(),
        await sign({ email: EMAIL }, SECRET, { alg: 'HS512', typ: 'JWT' }),
      ]) {
        const run = await cli([vendor, token, '--now', String(NOW)], { env: envFor(vendor) })
        expect(run.code).toBe(1)
        const alg = lineOf(run.stdout, 'alg')
        expect(alg.mark).toBe('✗')
        expect(alg.message).toMatch(/only HS256 is accepted/)
        expect(alg.fix).toMatch(/^Sign with HS256/)
        expect(lineOf(run.stdout, 'signature').line).toBe(
          '· signature: not checked: the algorithm is refused first',
        )
        expectNoLeak(run, token)
      }
    })

    it(`${vendor}: an empty payload is refused, every ✗ line with the simulator's message and a fix`, async () => {
      const token = await sign({})
      const run = await cli([vendor, token, '--now', String(NOW), '--json'], {
        env: envFor(vendor),
      })
      expect(run.code).toBe(1)
      const report = JSON.parse(run.stdout)
      const library = await libraryRefusal(vendor, token)
      expect(report.refusal).toMatchObject({ code: library?.code, message: library?.message })
      const failed = report.checks.filter((c: { status: string }) => c.status === 'fail')
      expect(failed.length).toBeGreaterThan(0)
      for (const check of failed) {
        expect(check.message).toMatch(new RegExp(`^${VENDORS[vendor].token.refusal}: `))
        expect(check.fix).toMatch(/\w{3,}/)
      }
      expectNoLeak(run, token)
    })

    it(`${vendor}: a string that is not a JWT is refused as malformed`, async () => {
      const run = await cli([vendor, 'not-a.jwt', '--now', String(NOW)], { env: envFor(vendor) })
      expect(run.code).toBe(1)
      const line = lineOf(run.stdout, 'format')
      expect(line.mark).toBe('✗')
      expect(line.message).toMatch(/not a compact JWS|cannot be decoded|cannot be parsed/)
      expect(line.fix).toMatch(/three base64url parts/)
    })
  }
})

describe('sso-check: Komo with a public key', () => {
  it('checks an RS256 token against a PEM public key read from stdin (--alg RS256)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const pem = await exportSPKI(publicKey)
    const token = await new SignJWT({ sub: 'u_1', email: EMAIL, iat: NOW, exp: NOW + 3600 })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(privateKey)
    const ok = await cli(
      ['komo', token, '--alg', 'RS256', '--secret-stdin', '--now', String(NOW)],
      { stdin: pem },
    )
    expect(ok.code).toBe(0)
    expect(lineOf(ok.stdout, 'signature').line).toBe(
      '✓ signature: RS256, matches the public key from standard input',
    )
    expect(lineOf(ok.stdout, 'alg').line).toMatch(/Komo is configured for RS256 here/)
    const hs = await sign({ sub: 'u_1', email: EMAIL, exp: NOW + 60 })
    const refused = await cli(
      ['komo', hs, '--alg', 'RS256', '--secret-stdin', '--now', String(NOW)],
      { stdin: pem },
    )
    expect(refused.code).toBe(1)
    expect(lineOf(refused.stdout, 'alg').message).toMatch(/only RS256 is accepted/)
  })

  it('refuses --alg a vendor cannot be configured with, and a key that is not one (exit 2, key not shown)', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    const run = await cli(['zendesk', token, '--alg', 'RS256'], { env: envFor('zendesk') })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--alg: Zendesk can be configured with HS256 only/)
    const bad = await cli(['komo', token, '--alg', 'ES256', '--secret-stdin'], {
      stdin: `not a key ${SECRET}`,
    })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/standard input is not a usable ES256 key/)
    expectNoLeak(bad)
  })
})

describe('sso-check: Discourse (sso + sig, checked with verifyDiscoursePayload)', () => {
  const fields = {
    nonce: 'cb68251eefb5211e58c00ff1395f0c0b',
    external_id: 'u_1',
    email: EMAIL,
    name: 'Adá',
  }

  it('accepts a signed payload given as sso and sig, and lists its fields', async () => {
    const { sso, sig } = signDiscoursePayload(fields, SECRET)
    const run = await cli(['discourse', sso, sig], { env: envFor('discourse') })
    expect(run.code).toBe(0)
    expect(lineOf(run.stdout, 'sig').line).toBe(
      '✓ sig: hex HMAC-SHA256 of sso with the secret from $DISCOURSE_SECRET',
    )
    expect(lineOf(run.stdout, 'name').line).toBe('✓ name "Adá": payload field')
    expect(run.stdout).toMatch(/note: Not checked here: the nonce/)
    expect(run.stdout).not.toContain(sig)
    expectNoLeak(run)
  })

  it('reads sso and sig from the return URL', async () => {
    const { sso, sig } = signDiscoursePayload(fields, SECRET)
    const url = new URL('https://forum.example/session/sso_login')
    url.searchParams.set('sso', sso)
    url.searchParams.set('sig', sig)
    const run = await cli(['discourse', url.href], { env: envFor('discourse') })
    expect(run.code).toBe(0)
    expect(lineOf(run.stdout, 'external_id').line).toBe('✓ external_id "u_1": payload field')
  })

  it('refuses a wrong signature, a "+" read as a space, and a field given twice (exit 1, with fixes)', async () => {
    const { sso } = signDiscoursePayload(fields, SECRET)
    const other = signDiscoursePayload(fields, OTHER_SECRET).sig
    const bad = await cli(['discourse', sso, other], { env: envFor('discourse') })
    expect(bad.code).toBe(1)
    expect(lineOf(bad.stdout, 'sig')).toMatchObject({
      mark: '✗',
      fix: expect.stringMatching(/HMAC-SHA256/),
    })
    expect(bad.stdout).not.toContain(other)
    expectNoLeak(bad)

    // URLSearchParams escapes every byte that Base64 would turn into "+", so write the payload
    // text by hand: "~" in the third byte of a group is a "+" (the padding finds that place).
    const plusSso = [0, 1, 2]
      .map((pad) => Buffer.from(`nonce=${'n'.repeat(pad)}&name=~~~`).toString('base64'))
      .find((b64) => b64.includes('+')) as string
    const plus = { sso: plusSso, sig: createHmac('sha256', SECRET).update(plusSso).digest('hex') }
    expect(plus.sso).toContain('+')
    const spaced = await cli(['discourse', `sso=${plus.sso}&sig=${plus.sig}`], {
      env: envFor('discourse'),
    })
    expect(spaced.code).toBe(1)
    expect(lineOf(spaced.stdout, 'sso')).toMatchObject({
      mark: '✗',
      fix: expect.stringMatching(/"\+" left raw/),
    })
    expect(lineOf(spaced.stdout, 'sig').mark).toBe('·')

    const twice = Buffer.from('nonce=a&nonce=b&email=x%40y.z').toString('base64')
    const sig = (await import('node:crypto'))
      .createHmac('sha256', SECRET)
      .update(twice)
      .digest('hex')
    const dup = await cli(['discourse', twice, sig], { env: envFor('discourse') })
    expect(dup.code).toBe(1)
    expect(lineOf(dup.stdout, 'payload')).toMatchObject({
      mark: '✗',
      message: 'The payload has the field "nonce" more than once.',
    })
  })
})

describe('sso-check: the secret never comes from the command line', () => {
  for (const flag of [
    ['--secret', SECRET],
    [`--secret=${SECRET}`],
    ['--key', SECRET],
    ['-secret', SECRET],
  ]) {
    it(`refuses ${flag[0]?.split('=')[0]} with exit 2 and why (shell history), without echoing it`, async () => {
      const token = await sign({ email: EMAIL, iat: NOW })
      const run = await cli(['kustomer', token, ...flag], { env: envFor('kustomer') })
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch(
        /is refused: a secret on the command line is kept in your shell's history/,
      )
      expect(run.stderr).toMatch(/--secret-stdin/)
      expectNoLeak(run, token)
    })
  }

  it('a token that carries the secret in a claim shows [secret] and says to rotate it', async () => {
    const token = await sign({ email: EMAIL, iat: NOW, debug: `key=${SECRET}` })
    for (const args of [[], ['--json']]) {
      const run = await cli(['kustomer', token, '--now', String(NOW), ...args], {
        env: envFor('kustomer'),
      })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('"debug":"key=[secret]"')
      expect(run.stdout).toMatch(
        /The token holds the secret itself \(shown as \[secret\]\): remove it from the claims and rotate the secret/,
      )
      expectNoLeak(run, token)
    }
  })

  it('reads $<VENDOR>_SECRET before $SSO_CHECK_SECRET, and names the source', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    const run = await cli(['kustomer', token, '--now', String(NOW)], {
      env: { KUSTOMER_SECRET: SECRET, SSO_CHECK_SECRET: OTHER_SECRET },
    })
    expect(run.code).toBe(0)
    expect(lineOf(run.stdout, 'signature').line).toBe(
      '✓ signature: HS256, matches the secret from $KUSTOMER_SECRET',
    )
    const general = await cli(['kustomer', token, '--now', String(NOW)], {
      env: { SSO_CHECK_SECRET: SECRET },
    })
    expect(general.code).toBe(0)
    expect(lineOf(general.stdout, 'signature').line).toMatch(/from \$SSO_CHECK_SECRET$/)
    expectNoLeak(run, token)
  })

  it('reads the secret from stdin with --secret-stdin (one trailing newline dropped)', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    const run = await cli(['kustomer', '--secret-stdin', token, '--now', String(NOW)], {
      stdin: `${SECRET}\n`,
    })
    expect(run.code).toBe(0)
    expect(lineOf(run.stdout, 'signature').line).toMatch(/from standard input$/)
    const empty = await cli(['kustomer', '--secret-stdin', token], { stdin: '' })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/standard input is empty/)
  })

  it('without a secret, exits 2 naming the variables', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    const run = await cli(['zendesk', token])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(
      /No secret: set \$ZENDESK_SECRET or \$SSO_CHECK_SECRET, or use --secret-stdin/,
    )
  })
})

describe('sso-check: input', () => {
  it('finds the token in a URL whatever the parameter (query or fragment)', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    for (const [url, parameter] of [
      [`https://acme.kustomer.help/login?referralUrl=%2Fa&externalToken=${token}`, 'externalToken'],
      [
        `https://canny.io/api/redirects/sso?companyID=abc&ssoToken=${token}&redirect=https%3A%2F%2Fx.canny.io`,
        'ssoToken',
      ],
      [`https://app.example/#jwt=${token}`, 'jwt'],
      [`jwt=${token}&return_to=%2F`, 'jwt'],
    ] as const) {
      const run = await cli(['kustomer', url, '--now', String(NOW)], { env: envFor('kustomer') })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`note: Token read from the URL's "${parameter}" parameter.`)
      expectNoLeak(run, token)
    }
  })

  it('a URL without a JWT, or with two, is a usage error (exit 2)', async () => {
    const a = await sign({ email: EMAIL, iat: NOW })
    const b = await sign({ email: EMAIL, iat: NOW + 1 })
    const none = await cli(['kustomer', 'https://x.example/?a=1&b=2'], { env: envFor('kustomer') })
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/No parameter of this URL holds a JWT \(it has "a", "b"\)/)
    const two = await cli(['kustomer', `https://x.example/?jwt=${a}&token=${b}`], {
      env: envFor('kustomer'),
    })
    expect(two.code).toBe(2)
    expect(two.stderr).toMatch(/Several parameters of this URL hold a JWT \("jwt", "token"\)/)
  })

  it('usage errors exit 2: no vendor, unknown vendor, Konnec, a bad --now, an unknown option', async () => {
    const token = await sign({ email: EMAIL, iat: NOW })
    const cases: [string[], RegExp][] = [
      [[], /Name a vendor and a token/],
      [['acme', token], /Unknown vendor "acme"; use one of komo, kustomer, konnec/],
      [['konnec', token], /Konnec issues no token to check/],
      [['kustomer', token, '--now', 'noon'], /--now must be a Unix time in seconds/],
      [['kustomer', token, '--verbose'], /Unknown option '--verbose'/],
      [['kustomer'], /Pass one token/],
    ]
    for (const [args, message] of cases) {
      const run = await cli(args, { env: envFor(args[0] ?? 'kustomer') })
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(message)
    }
  })

  it('--help prints usage with the exit codes and exits 0', async () => {
    const run = await cli(['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /Exit codes: 0 the vendor accepts the token, 1 it refuses it, 2 usage or input error/,
    )
  })

  it('--now pins the clock: the same token is accepted then, and expired an hour later', async () => {
    const token = await sign({ sub: 'u_1', email: EMAIL, exp: NOW + 60 })
    const then = await cli(['komo', token, '--now', String(NOW)], { env: envFor('komo') })
    expect(then.code).toBe(0)
    expect(lineOf(then.stdout, 'exp').line).toBe(
      '✓ exp 1736942460: 2025-01-15T12:01:00Z, in 1 min; required, must be in the future',
    )
    const later = await cli(['komo', token, '--now', String(NOW + 3600)], { env: envFor('komo') })
    expect(later.code).toBe(1)
    expect(lineOf(later.stdout, 'exp').fix).toMatch(/^exp was 59 min ago/)
  })
})

describe('sso-check: output', () => {
  it('--json prints one object: verdict, header, claims, checks; never the signature', async () => {
    const token = await sign({ email: EMAIL, iat: NOW - 2000 })
    const run = await cli(['kustomer', token, '--json', '--now', String(NOW)], {
      env: envFor('kustomer'),
    })
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report).toMatchObject({
      now: NOW,
      vendor: 'kustomer',
      ok: false,
      refusal: { code: 'too_old', claim: 'iat' },
      header: { alg: 'HS256', typ: 'JWT' },
      claims: { email: EMAIL, iat: NOW - 2000 },
    })
    expect(
      report.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`),
    ).toEqual([
      'format:ok',
      'alg:ok',
      'signature:ok',
      'email:ok',
      'exp:absent',
      'iat:fail',
      'nbf:absent',
    ])
    expectNoLeak(run, token)
  })

  it('a usage error with --json is a JSON object too (exit 2)', async () => {
    const run = await cli(['nope', 'x', '--json'])
    expect(run.code).toBe(2)
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: { code: 'usage', message: expect.stringMatching(/Unknown vendor/) },
    })
  })

  const RAW = ['\u001b', '\u0007', '\u009b', '\u202e']
  it('claims cannot drive the terminal: control and bidi characters are shown escaped', async () => {
    const token = await sign({
      sub: 'u_1',
      email: EMAIL,
      exp: NOW + 60,
      first_name: 'A\u001b[2J\u009b31m\u202eB',
      'x\u001b]0;t\u0007': 1,
    })
    const run = await cli(['komo', token, '--now', String(NOW)], { env: envFor('komo') })
    expect(run.code).toBe(0)
    for (const c of RAW) expect(run.stdout).not.toContain(c)
    expect(lineOf(run.stdout, 'first_name').line).toBe(
      '✓ first_name "A\\u001b[2J\\u009b31m\\u202eB": optional',
    )
    const json = await cli(['komo', token, '--now', String(NOW), '--json'], { env: envFor('komo') })
    for (const c of RAW) expect(json.stdout).not.toContain(c)
    expect(JSON.parse(json.stdout).claims.first_name).toBe('A\u001b[2J\u009b31m\u202eB')
  })
})
