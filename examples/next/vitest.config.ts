import { defineProject } from 'vitest/config'
import { sourceAliases } from '../../vitest.shared.ts'

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    name: 'example-next',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // `next build` runs in beforeAll (about 15 s warm, a minute or more cold on 2 busy cores).
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
})
