import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: {
    alias: {
      '@sso/middleware': fileURLToPath(new URL('../middleware/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: 'testing',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
