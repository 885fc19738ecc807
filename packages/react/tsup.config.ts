import type { Plugin } from 'esbuild'
import { defineConfig } from 'tsup'

// The React entries import the store from the built `token-store` entry instead of bundling
// their own copy, so every entry hands out one SsoError class (instanceof holds across them) and
// one cache, and the store entry carries no React and no 'use client'. The push bindings
// (intercom, canny, featurebase) likewise share the one built `embed` module (internal: not in
// `exports`), so an app using two of them pays for its hook once.
const importSharedEntries: Plugin = {
  name: 'import-shared-entries',
  setup(build) {
    const ext = build.initialOptions.format === 'cjs' ? 'cjs' : 'js'
    build.onResolve({ filter: /^\.\/(token-store|errors|embed)$/ }, ({ path, importer }) => {
      if (/[\\/](token-store|errors)\.ts$/.test(importer)) return undefined
      return { path: `./${path === './embed' ? 'embed' : 'token-store'}.${ext}`, external: true }
    })
  },
}

export default defineConfig({
  // Each React entry starts with 'use client', which esbuild keeps at the top of that entry only:
  // React Server Components must see a client boundary on the entry itself.
  entry: {
    index: 'src/index.ts',
    'token-store': 'src/token-store.ts',
    embed: 'src/embed.ts',
    intercom: 'src/intercom.ts',
    canny: 'src/canny.ts',
    featurebase: 'src/featurebase.ts',
    metabase: 'src/metabase.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  external: ['react', 'react-dom'],
  splitting: false,
  esbuildPlugins: [importSharedEntries],
})
