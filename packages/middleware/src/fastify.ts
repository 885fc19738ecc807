// `@sso/middleware/fastify`: the Fastify 5 plugin with the vendor factories, errors and types.
// `fastify` and `fastify-plugin` are optional peer dependencies: only apps importing this subpath
// need them.
export {
  type SsoFastifyHandle,
  type SsoFastifyOptions,
  ssoPlugin,
} from './adapters/fastify'
export * from './app'
