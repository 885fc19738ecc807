/**
 * A small cookie-keeping HTTP client that follows redirects across origins one hop at a time,
 * the way a browser would, so integration tests walk the same round trips a person does.
 */
export class Client {
  private readonly jar = new Map<string, Map<string, string>>()
  /** Every URL visited, in order (tests assert where tokens went). */
  readonly visited: string[] = []

  private cookieHeader(url: URL): string | undefined {
    const cookies = this.jar.get(url.host)
    if (!cookies || cookies.size === 0) return undefined
    return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair?.indexOf('=') ?? -1
      if (!pair || eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      let cookies = this.jar.get(url.host)
      if (!cookies) {
        cookies = new Map()
        this.jar.set(url.host, cookies)
      }
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
  }

  /** One request, no redirect followed. */
  async request(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input)
    this.visited.push(url.href)
    const headers = new Headers(init.headers)
    const cookie = this.cookieHeader(url)
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    this.store(url, response)
    return response
  }

  /** Requests and follows redirects (GET after 302/303) until a page answers. */
  async go(
    input: string | URL,
    init: RequestInit = {},
    maxHops = 10,
  ): Promise<{ url: string; response: Response; text: string }> {
    let url = new URL(input)
    let response = await this.request(url, init)
    for (let hop = 0; hop < maxHops && response.status >= 300 && response.status < 400; hop++) {
      const location = response.headers.get('location')
      if (!location) break
      await response.body?.cancel()
      url = new URL(location, url)
      response = await this.request(url)
    }
    return { url: url.href, response, text: await response.text() }
  }

  /** Submits a form as a browser would (urlencoded POST) and follows redirects. */
  submit(action: string | URL, fields: Record<string, string>) {
    return this.go(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  }
}

/** The href of the first link whose text matches. */
export function linkHref(html: string, text: string | RegExp, base: string): string {
  for (const m of html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi)) {
    const label = (m[2] ?? '').replace(/<[^>]+>/g, '').trim()
    if (typeof text === 'string' ? label === text : text.test(label)) {
      return new URL((m[1] ?? '').replace(/&amp;/g, '&'), base).href
    }
  }
  throw new Error(`no link ${String(text)}`)
}

/** The value of a hidden or text input. */
export function inputValue(html: string, name: string): string | undefined {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`, 'i').exec(html)
  return m?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
}
