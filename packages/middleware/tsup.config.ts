import { defineConfig } from 'tsup'

export default defineConfig({
  // The app's entry, the Fetch-only entry, the Fastify plugin, the vendor kit, and each built-in vendor on its own subpath (every file in
  // src/vendors/, so a new vendor needs no line here). Shared code goes
  // to shared chunks (splitting, ESM and CJS alike), so every entry hands out the same SsoError
  // class and the same core, whichever subpaths an app combines.
  entry: [
    'src/index.ts',
    'src/fetch.ts',
    'src/fastify.ts',
    'src/vendor-kit.ts',
    'src/vendors/*.ts',
  ],
  // Optional peers of `./fastify`: imported at run time by the apps that use it, never bundled.
  external: ['fastify', 'fastify-plugin'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
})
