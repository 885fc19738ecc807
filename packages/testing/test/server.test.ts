import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { bettermodeSimulator } from '../src/simulators/bettermode'
import { comm100Simulator } from '../src/simulators/comm100'
import { kustomerSimulator } from '../src/simulators/kustomer'
import { escapeHtml, html } from '../src/server/html'
import { isRelativePath } from '../src/server/urls'
import { APP, SECRET, linkHref, now, pageCode, request, start } from './helpers'

const loginUrl = `${APP}/sso/kustomer/login`

function getWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('simulator server', () => {
  it('hands unknown paths to next() when used as Connect middleware', async () => {
    const sim = kustomerSimulator({ secret: SECRET, loginUrl, now })
    const server = createServer((req, res) =>
      sim.handle(req, res, () => {
        res.writeHead(418).end('next')
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      expect((await request(`${url}/elsewhere`)).text).toBe('next')
      expect((await request(`${url}/`)).status).toBe(200)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('answers unknown paths with a 404 page when standalone', async () => {
    const url = await start(kustomerSimulator({ secret: SECRET, loginUrl, now }))
    const page = await request(`${url}/elsewhere`)
    expect([page.status, pageCode(page.text)]).toEqual([404, 'not_found'])
  })

  it('refuses other methods on pages with a 405', async () => {
    const url = await start(kustomerSimulator({ secret: SECRET, loginUrl, now }))
    const page = await request(`${url}/login`, { method: 'POST' })
    expect([page.status, pageCode(page.text)]).toEqual([405, 'method_not_allowed'])
    expect(page.headers.get('allow')).toBe('GET')
  })

  it('builds its own links from the Host header, or from publicUrl when given', async () => {
    const sim = comm100Simulator({ secret: SECRET, loginUrl, agents: [], now })
    const url = await start(sim)
    const viaHost = await getWithHost(`${url}/`, 'comm100.localhost:4004')
    expect(linkHref(viaHost, 'login').searchParams.get('redirect_url')).toBe(
      'http://comm100.localhost:4004/sso/callback',
    )
    const hostile = await getWithHost(`${url}/`, '"><script>alert(1)</script>')
    expect(hostile).not.toContain('<script>')

    const mounted = comm100Simulator({
      secret: SECRET,
      loginUrl,
      agents: [],
      now,
      publicUrl: 'https://sim.test/comm100/',
    })
    const page = await request(`${await start(mounted)}/`)
    expect(linkHref(page.text, 'login').searchParams.get('redirect_url')).toBe(
      'https://sim.test/comm100/sso/callback',
    )
  })

  it('closes promptly even with a keep-alive connection open', async () => {
    const sim = bettermodeSimulator({ secret: SECRET, loginUrl, now })
    const { url, close } = await sim.listen()
    await request(`${url}/`, { headers: { connection: 'keep-alive' } })
    const started = performance.now()
    await close()
    expect(performance.now() - started).toBeLessThan(500)
    await expect(fetch(`${url}/`)).rejects.toThrow(TypeError)
  })

  it('fails at construction when an option is missing or not a URL', () => {
    expect(() => kustomerSimulator({ secret: '', loginUrl, now })).toThrow(
      new TypeError('kustomerSimulator: option `secret` must be a non-empty string'),
    )
    expect(() => kustomerSimulator({ secret: SECRET, loginUrl: '/sso/kustomer/login' })).toThrow(
      /option `loginUrl` must be an absolute URL/,
    )
    expect(() => comm100Simulator({ secret: SECRET, loginUrl } as never)).toThrow(
      /option `agents` must be an array/,
    )
  })
})

describe('html helpers', () => {
  it('escapes interpolated values but not nested html fragments', () => {
    const name = `<b onclick="x">'&'</b>`
    expect(html`<p title="${name}">${name}${html`<i>${name}</i>`}</p>`.__html).toBe(
      `<p title="${escapeHtml(name)}">&lt;b onclick=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;<i>${escapeHtml(name)}</i></p>`,
    )
  })

  it.each([
    ['/spaces/general', true],
    ['/', true],
    ['//evil.example', false],
    ['/\\evil.example', false],
    ['https://evil.example/', false],
    ['spaces', false],
    ['/a\nb', false],
    [`/${'a'.repeat(2048)}`, false],
  ])('treats %j as a relative path: %s', (value, expected) => {
    expect(isRelativePath(value)).toBe(expected)
  })
})
