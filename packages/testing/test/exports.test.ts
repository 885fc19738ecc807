import { describe, expect, expectTypeOf, it } from 'vitest'
import * as testing from '../src/index'
import type { SimulatorVendor, TokenVendor, VendorTokenErrorCode } from '../src/index'

describe('the public barrel', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(testing).sort()).toEqual([
      'DiscoursePayloadError',
      'IntercomBootError',
      'VendorTokenError',
      'bettermodeSimulator',
      'cannySdkPath',
      'cannySdkSource',
      'cannySimulator',
      'comm100Simulator',
      'discourseSimulator',
      'featurebaseSdkBootPath',
      'featurebaseSdkPath',
      'featurebaseSdkSource',
      'featurebaseSimulator',
      'importVendorKey',
      'intercomSimulator',
      'intercomUserHash',
      'intercomWidgetPath',
      'intercomWidgetSource',
      'komoEmbedPath',
      'komoEmbedSource',
      'komoSimulator',
      'konnecSimulator',
      'kustomerSimulator',
      'metabaseSdkPath',
      'metabaseSdkSource',
      'metabaseSimulator',
      'signDiscoursePayload',
      'verifyDiscoursePayload',
      'verifyIntercomBoot',
      'verifyIntercomUserHash',
      'verifyVendorToken',
      'zendeskSimulator',
    ])
  })

  it('keeps the vendor unions as they are (checked by tsc)', () => {
    expectTypeOf<SimulatorVendor>().toEqualTypeOf<
      | 'komo'
      | 'kustomer'
      | 'konnec'
      | 'comm100'
      | 'bettermode'
      | 'zendesk'
      | 'discourse'
      | 'intercom'
      | 'featurebase'
      | 'metabase'
      | 'canny'
    >()
    expectTypeOf<TokenVendor>().toEqualTypeOf<
      | 'komo'
      | 'kustomer'
      | 'comm100'
      | 'bettermode'
      | 'zendesk'
      | 'intercom'
      | 'featurebase'
      | 'metabase'
      | 'canny'
    >()
    expectTypeOf<VendorTokenErrorCode>().toEqualTypeOf<
      | 'malformed'
      | 'wrong_algorithm'
      | 'wrong_type'
      | 'bad_signature'
      | 'missing_claim'
      | 'invalid_claim'
      | 'claim_too_long'
      | 'expired'
      | 'not_yet_valid'
      | 'issued_in_future'
      | 'too_old'
      | 'lifetime_too_long'
      | 'replayed_jti'
      | 'bad_audience'
      | 'bad_issuer'
    >()
  })
})
