import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConnectExample } from '../src/server'

describe('the Connect example', () => {
  let running: Awaited<ReturnType<typeof startConnectExample>>
  beforeAll(async () => {
    running = await startConnectExample(0)
  })
  afterAll(() => running.close())

  it('walks the Kustomer round trip on plain Connect + node:http', async () => {
    const portal = await (await fetch(`${running.kustomerUrl}/`)).text()
    const login = new URL(
      (/id="login" href="([^"]+)"/.exec(portal)?.[1] ?? '').replace(/&amp;/g, '&'),
    )
    const first = await fetch(login, { redirect: 'manual' })
    expect(first.status).toBe(302)
    const toLogin = new URL(first.headers.get('location') ?? '', running.url)
    expect(toLogin.pathname).toBe('/login')
    toLogin.searchParams.set('email', 'grace@example.com')
    const signedIn = await fetch(toLogin, { redirect: 'manual' })
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const back = await fetch(new URL(signedIn.headers.get('location') ?? '', running.url), {
      redirect: 'manual',
      headers: { cookie },
    })
    expect(back.status).toBe(302)
    const vendor = await fetch(back.headers.get('location') ?? '')
    expect(await vendor.text()).toContain('Signed in to Kustomer as grace@example.com')
  })

  it('passes other paths to the next Connect handler', async () => {
    const response = await fetch(`${running.url}/somewhere`)
    expect(await response.text()).toContain('Connect example')
  })
})
