// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { KomoProvider } from './KomoProvider'
import type { KomoProviderProps } from './KomoProvider'
import { createTokenStore } from './token-store'
import { useAuthRequestHandler } from './useAuthRequestHandler'
import { useKomo } from './useKomo'

function Card() {
  const { status } = useAuthRequestHandler()
  const { embed } = useKomo()
  return <div data-komo-card="demo" data-status={status} data-embed={String(embed)} />
}

describe('server rendering', () => {
  it('renders with no window or document: status idle, no embed, no fetch', () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')

    const html = renderToString(
      <KomoProvider tokenUrl="/sso/komo/token" user={{ id: 'u1' }} hubHost="acme.komo.site">
        <Card />
      </KomoProvider>,
    )

    expect(html).toBe('<div data-komo-card="demo" data-status="idle" data-embed="null"></div>')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('renders idle with a store the app created, without asking it for a token', () => {
    const fetchToken = vi.fn(async () => 'token')
    const html = renderToString(
      <KomoProvider store={createTokenStore({ fetchToken })} user="u1">
        <Card />
      </KomoProvider>,
    )
    expect(html).toBe('<div data-komo-card="demo" data-status="idle" data-embed="null"></div>')
    expect(fetchToken).not.toHaveBeenCalled()
  })

  it('fails a server render loudly when the provider has no way to get a token', () => {
    const props = { user: null } as unknown as KomoProviderProps
    expect(() => renderToString(<KomoProvider {...props} />)).toThrow(
      expect.objectContaining({
        name: 'SsoError',
        code: 'ERR_SSO_CONFIG',
        message: 'KomoProvider needs `tokenUrl`, `fetchToken` or `store`',
      }),
    )
  })
})
