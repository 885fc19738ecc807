// jose, loaded on demand: only a private key (RS256, ES256, EdDSA) or HS256 on a runtime without
// node:crypto needs it, so an app with HS256 vendors on Node never loads it (cold start).
// `core/token.ts` is the only importer, through `import()`.
export { importJWK, importPKCS8 } from 'jose/key/import'
export { SignJWT } from 'jose/jwt/sign'
