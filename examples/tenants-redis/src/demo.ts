/**
 * The whole picture on one machine: a throwaway redis-server, two demo tenants seeded with random
 * secrets, and two app instances sharing them. Ctrl-C stops everything (by pid).
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { type Instance, type RedisServer, startInstance, startRedisServer } from './processes'
import { putTenant } from './tenants'

const secret = () => randomBytes(32).toString('base64url')
const adminToken = randomBytes(16).toString('hex')
let redisServer: RedisServer | undefined
const instances: Instance[] = []
const stopAll = async () => {
  await Promise.allSettled(instances.map((i) => i.stop()))
  await redisServer?.stop()
}
try {
  redisServer = await startRedisServer()
  const redis = new Redis(redisServer.url)
  await putTenant(redis, 'acme', {
    'komo.secret': secret(),
    'kustomer.secret': secret(),
    'kustomer.allowedHosts': 'acme.kustomer.help',
  })
  await putTenant(redis, 'globex', {
    'komo.secret': secret(),
    'bettermode.secret': secret(),
    'bettermode.communityUrl': 'https://community.globex.example',
  })
  await redis.quit()
  for (const [i, port] of [3003, 3004].entries()) {
    instances.push(
      await startInstance({
        name: `instance ${i + 1}`,
        redisUrl: redisServer.url,
        adminToken,
        port,
        echo: true,
      }),
    )
  }
  const [one, two] = instances as [Instance, Instance]
  console.log(`Redis on ${redisServer.url}; instance 1 on ${one.url}, instance 2 on ${two.url}
1. Log in (on either instance; sessions live in Redis):
     curl -si '${one.url}/login?email=ada@example.com' | grep -i set-cookie
2. Ask both instances for acme's Komo token (the same secret signs both):
     curl -s -X POST -H 'cookie: sid=…' ${one.url}/t/acme/sso/komo/token
     curl -s -X POST -H 'cookie: sid=…' ${two.url}/t/acme/sso/komo/token
3. Rotate acme's Komo secret through instance 1's admin route (or: printf %s "$NEW" |
   REDIS_URL=${redisServer.url} pnpm rotate acme komo):
     curl -s -X POST -H 'authorization: Bearer ${adminToken}' \\
       -d '{"secret":"'$(openssl rand -base64 32)'"}' ${one.url}/admin/tenants/acme/rotate
   Both instances log: invalidated "acme"; their next acme token is signed with the new secret.
Ctrl-C stops Redis and both instances.`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
} finally {
  await stopAll()
}
