// The one list of test projects. vitest 4 no longer reads this file by itself, so
// vitest.config.ts imports it into `test.projects`.
export default [
  'packages/middleware',
  'packages/react',
  'packages/testing',
  'examples/express',
  'examples/connect',
  'examples/fastify',
  'examples/react-komo',
  'examples/tenants-redis',
  'examples/next',
  'examples/hono',
]
