import { fileURLToPath } from 'node:url'

const src = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

/**
 * Tests import the workspace packages from source, so a change is tested without a build;
 * packaging itself is checked on the packed tarballs (`scripts/check-packages.mjs`).
 */
export const sourceAliases = {
  // Subpaths first: an alias also matches everything below its name.
  '@sso/middleware/vendor-kit': fileURLToPath(
    new URL('./packages/middleware/src/vendor-kit.ts', import.meta.url),
  ),
  '@sso/middleware/fetch': fileURLToPath(
    new URL('./packages/middleware/src/fetch.ts', import.meta.url),
  ),
  '@sso/middleware/fastify': fileURLToPath(
    new URL('./packages/middleware/src/fastify.ts', import.meta.url),
  ),
  '@sso/middleware': src('middleware'),
  // The React bindings' public subpaths (the `exports` of packages/react/package.json).
  ...Object.fromEntries(
    ['token-store', 'intercom', 'canny', 'featurebase', 'metabase'].map((entry) => [
      `@sso/react/${entry}`,
      fileURLToPath(new URL(`./packages/react/src/${entry}.ts`, import.meta.url)),
    ]),
  ),
  '@sso/react': src('react'),
  '@sso/testing': src('testing'),
}
