import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

const src = (p: string) =>
  fileURLToPath(new URL(`../../packages/${p}/src/index.ts`, import.meta.url))

export default defineProject({
  resolve: {
    alias: {
      '@sso/middleware': src('middleware'),
      '@sso/testing': src('testing'),
    },
  },
  test: {
    name: 'example-react-komo',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
