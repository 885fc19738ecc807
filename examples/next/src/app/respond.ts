/** A 303 to a path of this app (relative `Location`: right behind any proxy). */
export function seeOther(path: string): Response {
  return new Response(null, { status: 303, headers: { Location: path } })
}

/** A browser's cross-site form post says so (`Sec-Fetch-Site`); server-side callers send none. */
export function crossSite(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site')
  return site !== null && site !== 'same-origin' && site !== 'none'
}
