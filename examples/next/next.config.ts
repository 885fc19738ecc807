import type { NextConfig } from 'next'

const config: NextConfig = {
  poweredByHeader: false,
  // The examples' shared vendor list is TypeScript source in the workspace.
  transpilePackages: ['@sso/example-vendors'],
  // The repository's `tsc -p tsconfig.json` type-checks this app with everything else; skipping
  // Next's own pass keeps `next build` short.
  typescript: { ignoreBuildErrors: true },
}

export default config
