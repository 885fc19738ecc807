/**
 * The admin script: `printf %s "$NEW_SECRET" | pnpm rotate <tenant> [komo|kustomer|bettermode]`
 * writes the tenant's new secret to its Redis hash and publishes the tenant id on
 * `sso:invalidate`; `pnpm rotate '*'` only publishes `*` (every instance forgets every tenant).
 * The secret comes on stdin, never on the command line (where `ps` would show it).
 */
import { Redis } from 'ioredis'
import { invalidateEveryTenant, type RotatableVendor, rotate, SECRET_FIELD } from './tenants'

const [tenant, vendor = 'komo'] = process.argv.slice(2)
if (!tenant || !(vendor in SECRET_FIELD)) {
  console.error('usage: printf %s "$NEW_SECRET" | rotate <tenant> [komo|kustomer|bettermode]')
  console.error('       rotate "*"   (every instance forgets every tenant)')
  process.exit(2)
}
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
try {
  if (tenant === '*') {
    await invalidateEveryTenant(redis)
    console.log('published "*" on sso:invalidate')
  } else {
    let secret = ''
    for await (const chunk of process.stdin) secret += chunk
    await rotate(redis, tenant, secret.trim(), vendor as RotatableVendor)
    console.log(`rotated ${tenant}'s ${vendor} secret and published "${tenant}" on sso:invalidate`)
  }
} catch (error) {
  console.error(`rotate failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  await redis.quit()
}
