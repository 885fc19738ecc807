import type { Plugin } from 'esbuild'
import { defineConfig } from 'tsup'

// The React entry imports the store from the built `token-store` entry instead of bundling its
// own copy, so `@sso/react` and `@sso/react/token-store` hand out one SsoError class (instanceof
// holds across them) and the store entry carries no React and no 'use client'.
const importTokenStoreEntry: Plugin = {
  name: 'import-token-store-entry',
  setup(build) {
    const file = build.initialOptions.format === 'cjs' ? './token-store.cjs' : './token-store.js'
    build.onResolve({ filter: /^\.\/(token-store|errors)$/ }, ({ importer }) =>
      /[\\/](token-store|errors)\.ts$/.test(importer) ? undefined : { path: file, external: true },
    )
  },
}

export default defineConfig({
  // src/index.ts starts with 'use client', which esbuild keeps at the top of that entry only:
  // React Server Components must see a client boundary on the React entry itself.
  entry: { index: 'src/index.ts', 'token-store': 'src/token-store.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  external: ['react', 'react-dom'],
  splitting: false,
  esbuildPlugins: [importTokenStoreEntry],
})
