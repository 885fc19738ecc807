// `@sso/middleware/fetch`: the Fetch API handler (Next.js route handlers, Hono, Bun, Deno,
// Workers) with the vendor factories, errors and types, and nothing typed against `node:http`:
// an app without `@types/node` compiles against it.
export {
  type SsoFetchArgs,
  type SsoFetchHandler,
  type SsoFetchOptions,
  type SsoLogoutResponse,
  ssoHandler,
} from './adapters/fetch'
export * from './app'
