import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  external: ['react', 'react-dom'],
  // The hooks and provider run in the browser only: React Server Components must see a client
  // boundary on the entry itself.
  banner: { js: "'use client'" },
})
