import { checkJwt } from '../cli/check'
import type { TokenReport } from '../cli/check'
import { VendorTokenError, importVendorKey, verifyVendorToken } from '../verify'
import type {
  KomoAlgorithm,
  VendorClaims,
  VendorKeyInput,
  VerifyVendorTokenOptions,
} from '../verify'
import type { TokenVendor } from '../vendors'
import { Refusal } from './core'

/**
 * Verifies one token with the simulator's key; a vendor refusal becomes a 401 `Refusal`.
 * `report` lists every check behind the verdict, from the vendor's own rules (what `sso-check`
 * prints), for the "what I received" panel.
 */
export interface TokenVerifier {
  (token: string, options: VerifyVendorTokenOptions): Promise<VendorClaims>
  report(token: string, options: VerifyVendorTokenOptions): Promise<TokenReport>
}

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
  const verify = async (token: string, options: VerifyVendorTokenOptions) => {
    try {
      return await verifyVendorToken(vendor, token, await imported, options)
    } catch (err) {
      if (err instanceof VendorTokenError) throw refusalOf(err)
      throw err
    }
  }
  const report = async (token: string, options: VerifyVendorTokenOptions) => {
    // The simulator's own limits, so the panel's lines are the checks it ran; not `seenJti`,
    // which the simulator checks (and reports) itself.
    const { now = Date.now(), seenJti: _seen, ...limits } = options
    const alg = options.algorithm ?? algorithm
    return checkJwt(vendor, token, await imported, {
      ...limits,
      now: Math.floor((now instanceof Date ? now.getTime() : now) / 1000),
      keySource: "the simulator's configuration",
      ...(alg === undefined ? {} : { algorithm: alg }),
    })
  }
  return Object.assign(verify, { report })
}

/** A vendor's refusal of a token as the 401 page (or JSON) the simulator answers with. */
export function refusalOf(err: VendorTokenError): Refusal {
  return new Refusal(401, err.code, err.message)
}
