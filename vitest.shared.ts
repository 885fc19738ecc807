import { fileURLToPath } from 'node:url'

const src = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

/**
 * Tests import the workspace packages from source, so a change is tested without a build;
 * packaging itself is checked on the packed tarballs (`scripts/check-packages.mjs`).
 */
export const sourceAliases = {
  '@sso/middleware': src('middleware'),
  '@sso/testing': src('testing'),
}
