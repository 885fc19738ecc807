import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { describe, expect, expectTypeOf, it, vi } from 'vitest'
import { fakeEmbed, registeredHandler, stubTokenEndpoint } from '../test/helpers'
import { KomoProvider } from './KomoProvider'
import type { KomoEmbed } from './KomoProvider'
import { useAuthRequestHandler } from './useAuthRequestHandler'
import { useKomo } from './useKomo'
import type { KomoApi } from './useKomo'

function renderUseKomo(embed = fakeEmbed()) {
  const { result } = renderHook(
    () => {
      useAuthRequestHandler()
      return useKomo()
    },
    {
      wrapper: ({ children }: { children: ReactNode }) => (
        <KomoProvider tokenUrl="/sso/komo/token" user="u1" embed={embed}>
          {children}
        </KomoProvider>
      ),
    },
  )
  return { embed, result }
}

describe('useKomo', () => {
  it('returns the embed after mount, for apps that drive Komo themselves', () => {
    const { embed, result } = renderUseKomo()
    expect(result.current.embed).toBe(embed)
  })

  it('setAuthToken hands the token to Komo directly (push mode)', () => {
    const { embed, result } = renderUseKomo()
    result.current.setAuthToken('pushed-jwt')
    expect(embed.setAuthToken).toHaveBeenCalledWith('pushed-jwt')
  })

  it('forgetUser signs the user out of Komo and drops the cached token', async () => {
    const fetch = stubTokenEndpoint()
    const { embed, result } = renderUseKomo()
    const komoAsks = registeredHandler(embed)
    expect(await act(() => komoAsks())).toBe('token-1')

    act(() => result.current.forgetUser())

    expect(embed.forgetUser).toHaveBeenCalledTimes(1)
    expect(await act(() => komoAsks())).toBe('token-2')
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('keeps forgetUser and setAuthToken stable across renders', () => {
    const { result } = renderUseKomo()
    const first = result.current
    act(() => result.current.forgetUser())
    expect(result.current.forgetUser).toBe(first.forgetUser)
    expect(result.current.setAuthToken).toBe(first.setAuthToken)
  })

  it('throws an error naming KomoProvider when used outside it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(() => useKomo())).toThrow(
      expect.objectContaining({
        name: 'SsoError',
        code: 'ERR_SSO_CONFIG',
        message: 'useKomo() must be called inside <KomoProvider>',
      }),
    )
  })

  it('is typed: returns { embed, forgetUser, setAuthToken }', () => {
    expectTypeOf(useKomo).returns.toEqualTypeOf<KomoApi>()
    expectTypeOf<KomoApi['embed']>().toEqualTypeOf<KomoEmbed | null>()
    expectTypeOf<KomoApi['forgetUser']>().toEqualTypeOf<() => void>()
    expectTypeOf<KomoApi['setAuthToken']>().toEqualTypeOf<(token: string) => void>()
  })
})
