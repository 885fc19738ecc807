import { act, render } from '@testing-library/react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeSdk, sessionEndpoint, who } from '../test/helpers'
import { useFeaturebase } from './featurebase'
import type { FeaturebaseOptions } from './featurebase'

const flush = () => act(() => vi.advanceTimersByTimeAsync(0))
const scripts = () => [...document.querySelectorAll('script')].map((s) => [s.src, s.async])

function Feedback(options: FeaturebaseOptions) {
  const { status } = useFeaturebase(options)
  return <output>{status}</output>
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
})

describe('useFeaturebase', () => {
  it("installs Featurebase's queueing stub and one async sdk.js, and queues the boot", async () => {
    sessionEndpoint()
    render(<Feedback appId="fb_1" user="u1" />)
    await flush()

    expect(scripts()).toEqual([['https://do.featurebase.app/js/sdk.js', true]])
    const queued = (window as unknown as { Featurebase: { q: unknown[][] } }).Featurebase.q
    expect(queued).toEqual([['boot', { appId: 'fb_1', featurebaseJwt: expect.any(String) }]])
  })

  it('boots with more settings, never letting them replace appId or featurebaseJwt', async () => {
    const sdk = fakeSdk('Featurebase')
    sessionEndpoint()
    const settings = { theme: 'dark', language: 'de', appId: 'x', featurebaseJwt: 'forged' }
    render(<Feedback appId="fb_1" user="u1" settings={settings as never} />)
    await flush()

    const [command, booted] = sdk.mock.calls[0] ?? []
    expect(command).toBe('boot')
    expect(booted).toEqual({
      theme: 'dark',
      language: 'de',
      appId: 'fb_1',
      featurebaseJwt: expect.any(String),
    })
    expect(who((booted as { featurebaseJwt: string }).featurebaseJwt)).toBe('u1#1')
  })

  it('re-boots a 10-minute token 30 s before it expires', async () => {
    const sdk = fakeSdk('Featurebase')
    sessionEndpoint('token', 600)
    render(<Feedback appId="fb_1" user="u1" />)
    await flush()
    await act(() => vi.advanceTimersByTimeAsync(570_000))
    expect(
      sdk.mock.calls.map(([, s]) => who((s as { featurebaseJwt: string }).featurebaseJwt)),
    ).toEqual(['u1#1', 'u1#2'])
  })
})
