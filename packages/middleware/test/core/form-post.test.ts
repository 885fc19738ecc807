// The form-POST result kind (SECURITY.md rule 3's one exception): an auto-submitting form that
// carries the token in the body to a configured origin, one inline script allowed by its hash.
import { createHash } from 'node:crypto'
import { ADA, byName, HOSTS, type Running } from '@sso/fixtures'
import { afterEach, describe, expect, it } from 'vitest'
import { defineVendor, type SsoEvent, type VendorResult } from '../../src/index'
import { FORM_SCRIPT, formScriptSource } from '../../src/vendor-kit'

const ACTION = 'https://acme.example/access/jwt?return_to=%2Fhc&brand_id=7'
const NASTY = '"><script>alert(1)</script>\'&<img src=x onerror=alert(2)>'

function poster(result: () => Partial<Extract<VendorResult, { kind: 'form' }>>) {
  return defineVendor({
    id: 'poster',
    routes: [
      {
        name: 'login',
        method: 'GET',
        path: '/poster/login',
        kind: 'browser',
        handle: () =>
          ({
            kind: 'form',
            action: ACTION,
            fields: { jwt: 'a.b.c' },
            formAction: ['https://acme.example'],
            vendorName: 'Acme',
            ...result(),
          }) as VendorResult,
      },
    ],
  })
}

describe.each(byName(HOSTS))('%s', (_name, host) => {
  let running: Running | undefined
  afterEach(async () => {
    await running?.close()
  })
  const start = async (
    result: () => Partial<Extract<VendorResult, { kind: 'form' }>> = () => ({}),
  ) => {
    const events: SsoEvent[] = []
    running = await host.start({
      getUser: () => ADA,
      vendors: [poster(result)],
      onEvent: (e: SsoEvent) => void events.push(e),
    })
    return running
  }

  it('answers an auto-submitting form whose one script is allowed by its computed hash', async () => {
    const app = await start()
    const sent = await app.send('/sso/poster/login')
    expect(sent.status).toBe(200)
    const hash = `'sha256-${createHash('sha256').update(FORM_SCRIPT).digest('base64')}'`
    expect(await formScriptSource()).toBe(hash)
    expect(sent.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src ${hash}; style-src 'unsafe-inline'; form-action https://acme.example 'self'; base-uri 'none'; frame-ancestors 'none'`,
    )
    expect(sent.headers.get('referrer-policy')).toBe('strict-origin')
    expect(sent.headers.get('cache-control')).toBe('no-store')
    expect(sent.headers.get('pragma')).toBe('no-cache')
    expect(sent.headers.get('x-frame-options')).toBe('DENY')
    expect(sent.body).toContain(
      `<form method="post" action="${ACTION.replace('&', '&amp;')}"><input type="hidden" name="jwt" value="a.b.c">`,
    )
    expect(sent.body).toContain(
      '<noscript><p>Sign-in continues at the service.</p><button type="submit">Continue to Acme</button></noscript>',
    )
    expect(sent.body.match(/<script>/g)).toHaveLength(1)
    expect(sent.body).toContain(`<script>${FORM_SCRIPT}</script>`)
  })

  it('attribute-escapes every value, so none can break out of its attribute', async () => {
    const app = await start(() => ({ fields: { jwt: NASTY, [NASTY]: 'x' }, vendorName: NASTY }))
    const sent = await app.send('/sso/poster/login')
    expect(sent.status).toBe(200)
    expect(sent.body).not.toContain('<script>alert')
    expect(sent.body).not.toContain('<img')
    expect(sent.body.match(/<script>/g)).toHaveLength(1)
    expect(sent.body).toContain(
      'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;&lt;img src=x onerror=alert(2)&gt;"',
    )
  })

  it.each([
    [
      'an action on an origin the configuration does not name',
      () => ({ action: 'https://evil.example/x' }),
    ],
    ['an action that is no URL', () => ({ action: '/relative' })],
    ['an action with a newline', () => ({ action: 'https://acme.example/a\nb' })],
    ['a field that is not a string', () => ({ fields: { jwt: 42 as unknown as string } })],
    ['no form-action list', () => ({ formAction: undefined as unknown as string[] })],
  ])('refuses %s with a 500 and no token on the page', async (_n, result) => {
    const app = await start(result)
    const sent = await app.send('/sso/poster/login')
    expect(sent.status).toBe(500)
    expect(sent.body).toContain('ERR_SSO_INTERNAL')
    expect(sent.body).not.toContain('a.b.c')
    expect(sent.headers.get('referrer-policy')).toBe('no-referrer')
  })
})

describe('formScriptSource', () => {
  it('hashes the script it is given: a changed script has another hash', async () => {
    expect(await formScriptSource('document.forms[0].submit();')).not.toBe(await formScriptSource())
  })
})

describe('SsoError detail (what a vendor said)', () => {
  it('is readable but not enumerable, so logging the error does not print it', async () => {
    const { SsoError } = await import('../../src/index')
    const { inspect } = await import('node:util')
    const error = new SsoError('ERR_SSO_VENDOR_REFUSED', 'refused', {
      detail: 'bad token for ada@example.com',
    })
    expect(error.detail).toBe('bad token for ada@example.com')
    expect(Object.keys(error)).not.toContain('detail')
    expect(inspect(error)).not.toContain('ada@example.com')
    expect(JSON.stringify(error)).not.toContain('ada@example.com')
  })
})
