import { VendorTokenError, importVendorKey, verifyVendorToken } from '../verify'
import type {
  KomoAlgorithm,
  VendorClaims,
  VendorKeyInput,
  VerifyVendorTokenOptions,
} from '../verify'
import type { TokenVendor } from '../vendors'
import { Refusal } from './core'

/** Verifies one token with the simulator's key; a vendor refusal becomes a 401 `Refusal`. */
export type TokenVerifier = (
  token: string,
  options: VerifyVendorTokenOptions,
) => Promise<VendorClaims>

/**
 * Imports the vendor's key once, at construction, and returns the simulator's verifier. A key
 * that cannot be imported fails the first verification (a 500), not the process.
 */
export function tokenVerifier(
  vendor: TokenVendor,
  key: VendorKeyInput,
  algorithm?: KomoAlgorithm,
): TokenVerifier {
  const imported = importVendorKey(vendor, key, algorithm === undefined ? {} : { algorithm })
  imported.catch(() => {})
  return async (token, options) => {
    try {
      return await verifyVendorToken(vendor, token, await imported, options)
    } catch (err) {
      if (err instanceof VendorTokenError) throw refusalOf(err)
      throw err
    }
  }
}

/** A vendor's refusal of a token as the 401 page (or JSON) the simulator answers with. */
export function refusalOf(err: VendorTokenError): Refusal {
  return new Refusal(401, err.code, err.message)
}
