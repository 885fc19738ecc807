import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { Client, inputValue, linkHref } from './client'

describe('the demo teaches: who sent you, what the vendor received, the inspector', () => {
  let demo: RunningDemo
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {} })
  })
  afterAll(() => demo.close())

  it('the login page names the vendor that sent you and where you will return; the vendor shows what it received', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    const portal = await client.go(linkHref(home.text, 'Kustomer', demo.url))
    const login = await client.go(linkHref(portal.text, /^Login$/, portal.url))
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    expect(login.text).toContain(
      '<p data-sent-by="kustomer"><strong>kustomer</strong> sent you here',
    )
    expect(login.text).toContain(
      `After you log in you return to <code>${returnTo.replace(/&/g, '&amp;')}</code>.`,
    )
    const done = await client.submit(`${demo.url}/login`, {
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      returnTo,
    })
    expect(done.text).toContain('What Kustomer received')
    expect(done.text).toContain('<li data-check="signature" data-status="ok">')
    expect(done.text).toContain('<tr data-claim="email">')
    // The token arrived in the URL; its signature is not on the page.
    const token = new URL(done.url).searchParams.get('externalToken') ?? ''
    expect(token.split('.')).toHaveLength(3)
    expect(done.text).not.toContain(token.split('.')[2])
    expect(new URL(linkHref(done.text, 'Back to the app', done.url)).origin).toBe(demo.url)
  })

  it('says nothing about a vendor for a returnTo outside /sso/<vendor>/, and escapes what it shows', async () => {
    const client = new Client()
    const page = await client.go(`${demo.url}/login?returnTo=${encodeURIComponent('/a"<b>')}`)
    expect(page.text).not.toContain('data-sent-by')
    expect(page.text).not.toContain('<b>')
    const unsafe = await client.go(
      `${demo.url}/login?returnTo=${encodeURIComponent('//evil.example/sso/x/')}`,
    )
    expect(unsafe.text).not.toContain('evil.example')
  })

  it('the front page links to the inspector, which answers loopback clients', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    const href = linkHref(home.text, /^Inspect what each vendor would receive$/, demo.url)
    expect(new URL(href).pathname).toBe('/sso/_inspect')
    const inspector = await client.go(href)
    expect(inspector.response.status).toBe(200)
    expect(inspector.text).toContain('kustomer')
  })
})
