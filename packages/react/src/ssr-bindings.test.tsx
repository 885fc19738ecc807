// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { CannyWidget } from './canny'
import { useFeaturebase } from './featurebase'
import { useIntercom } from './intercom'
import { createFetchRequestToken, useFetchRequestToken } from './metabase'

function Page() {
  const intercom = useIntercom({ appId: 'app_1', user: { id: 'u1' } })
  const featurebase = useFeaturebase({ appId: 'fb_1', user: 'u1' })
  const fetchRequestToken = useFetchRequestToken({ user: 'u1' })
  return (
    <main data-intercom={intercom.status} data-featurebase={featurebase.status}>
      <CannyWidget boardToken="board_1" basePath="/feedback" user="u1" />
      {typeof fetchRequestToken}
    </main>
  )
}

describe('server rendering of the bindings', () => {
  it('renders with no window or document: idle, an empty Canny element, no fetch, no SDK', () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')

    expect(renderToString(<Page />)).toBe(
      '<main data-intercom="idle" data-featurebase="idle"><div data-canny="" aria-busy="false"></div>function</main>',
    )
    expect(fetch).not.toHaveBeenCalled()
  })

  it('creates a Metabase fetchRequestToken at module scope on the server without fetching', () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    expect(typeof createFetchRequestToken().clear).toBe('function')
    expect(fetch).not.toHaveBeenCalled()
  })
})
