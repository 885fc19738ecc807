// Fixture keys for tests only: generated once with node:crypto and committed, so every run signs
// with the same keys. They protect nothing; never use them outside tests.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import type { JWK } from 'jose'

/** A 32-byte HMAC secret: the shortest one the signer accepts without the escape hatch. */
export const HS256_SECRET = 'fixture-secret-0123456789abcdef!'

/** 31 bytes: one short of the minimum. */
export const SHORT_SECRET = 'fixture-secret-0123456789abcdef'

export const RSA_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDS9qV8ewctWtwo
Z34mpxRrm4c0AV+VEqw3aV5/k9cMBxNbrVhp1uOGfz/OorsM7slyDUF8He6RoDLW
Chj0uAOwUlVUMDutKvKui7i1qLsgD/bryoLY03zsNgFaWx6yGwlcn+CdRoZI/DxT
sYyq4iSfbo/20sE7sQjXQq5ZcOvLF3R7Eiz1cF8QgvQmfkN+osq8sy7g+l00QWfQ
pvVbycivXC8QtZd+KKeDpyxdOck4vyKO8Nnawgp6wzegBVT0tmqyBuqXJ6fAIEcd
ejEJ0KhBiLYv9a9ZqsySMVUwBx7M/rnQUY8cei2J2f2MSOS1HOe0lkFe9TK3jprW
prj1ibavAgMBAAECggEAEme4WlrgGRc4kUHY4gW+T1Zl/lCHBpohckLRdBnxhLgd
T+iYsmswCyzmOTXopyEyFq7iDAe50koCsA/OIOjo/CTCvbHo6EZl88/MJp/OQObY
/mClonBuZqvzhEQ3h7G6KF2TxW+WCZ9lTVFL2iDEBzDTLeUx50OeZ4FcIADXttka
uI2CHpxci9fTviwhkIhjyoa2YVXIK2hOgKwsdphvxU4jmo9PaE8ZWMxrGVBpwnRK
dtbXyTkCNAZ4jEu/07F5vCC1hmGGv2knPKhOlH0iI/IZ4S+pv4kv/e0/nYcRp/cX
BB0PvYUw+720rllUCB4rFz1nnnn4RP/5OC28ztcUeQKBgQD2xvYdHQfEF9aueg08
97NROQ9xIkv7anUWkbYCUwzKe95o9tHUq09rUT9QNexziztZjRPeHVIvnYpmCzo9
2aL6W+8pxdgrsSWEfrvUnBUVbF/VqlGG6toJRMCt9aMRJEa4XC9Dsr8rgdBM+BqN
aREIVX3GiNu35HqLJpGjU6mb8wKBgQDa2QmZm6yYKAqg5GYsF5nHUcTsLD/nNHE1
Eb/Xdsf2BOaq1Sa6jr2FVOB8AcYdianzZuc9BE7DXxg6TU565qmXCdLY7nxP4oJK
Xe6WHvlZBsmqobhDoZ8SDdIwwKLNe28syQk2iZUbZCLNwPgSyd2r/3tkDUs4N8Na
y8i/C1oVVQKBgQDWdFcDO+w4zCKjo6uHdRcfGcBCp/Rx+7TfNSd/4551BKpme0Ak
We99qrCjywi97JxaGVDPsJlwia7xOQaXI2APw/8WRTmz1pFtEBm5DR8BbBnoe8e3
wLZUYaw0QQhB6E2Q/4OPiHG7pGdZzC5+/3Ru0qSn+N1AdMzNymm8DwORYwKBgATj
hEtiJuDfRB2D/KRPgqfpM7Ty6BqKGV1OIDL3/E+KnHyEdnEEb0djNgCPKZXPVXSS
f+flCL1kim4C/BXSwUcWeRdPfIdsT+zJXGMOHhPXCvo80pjwK1WD6YYdR4W/lCQz
+Xi2ahZKjlx6SxBgYgtNkbwSb/O5iyukEb/yyPhhAoGBAMuUPp+JW4HhLPXq6Rcv
SALXFTn/q0BVTUnpqCLr8e/1+4cu/biRy2aKnfZzjqLQXySzPoc+oiDQGhURVrqw
l8YBNgafj11Mx21O0f67wooSTbg/N1duwXvnmBFlAJ9CRSRg/cHYdmhsT9+oXeTd
DQFJgwzrXuRHoWQdQT7k8u3T
-----END PRIVATE KEY-----`

export const RSA_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0valfHsHLVrcKGd+JqcU
a5uHNAFflRKsN2lef5PXDAcTW61Yadbjhn8/zqK7DO7Jcg1BfB3ukaAy1goY9LgD
sFJVVDA7rSryrou4tai7IA/268qC2NN87DYBWlseshsJXJ/gnUaGSPw8U7GMquIk
n26P9tLBO7EI10KuWXDryxd0exIs9XBfEIL0Jn5DfqLKvLMu4PpdNEFn0Kb1W8nI
r1wvELWXfiing6csXTnJOL8ijvDZ2sIKesM3oAVU9LZqsgbqlyenwCBHHXoxCdCo
QYi2L/WvWarMkjFVMAcezP650FGPHHotidn9jEjktRzntJZBXvUyt46a1qa49Ym2
rwIDAQAB
-----END PUBLIC KEY-----`

export const EC_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPIzyJPDw/aBiAylo
0W3Q1qlhrpEKXud3aExH8jEO3G+hRANCAAQc5Xx261Cq49iU5ep+wjI2Ho0cOvzD
XLphwAQMe0XvpFX8UXtXrIySen9f7FCQi2ASl2E5X5/VuEunP7V0hdSA
-----END PRIVATE KEY-----`

export const EC_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHOV8dutQquPYlOXqfsIyNh6NHDr8
w1y6YcAEDHtF76RV/FF7V6yMknp/X+xQkItgEpdhOV+f1bhLpz+1dIXUgA==
-----END PUBLIC KEY-----`

export const ED25519_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIPJk8E6uTCBdO/TJhAkdVNyo+3qdgGgNyUtYCmCJbMLe
-----END PRIVATE KEY-----`

export const ED25519_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAsRYjDCy4pJvJHliPB7Ssg+RBeV5brjOSZs4hwASQUgA=
-----END PUBLIC KEY-----`

/** The same RSA key in PKCS#1 form ("BEGIN RSA PRIVATE KEY"), which the signer refuses. */
export const RSA_PKCS1_PEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA0valfHsHLVrcKGd+JqcUa5uHNAFflRKsN2lef5PXDAcTW61Y
adbjhn8/zqK7DO7Jcg1BfB3ukaAy1goY9LgDsFJVVDA7rSryrou4tai7IA/268qC
2NN87DYBWlseshsJXJ/gnUaGSPw8U7GMquIkn26P9tLBO7EI10KuWXDryxd0exIs
9XBfEIL0Jn5DfqLKvLMu4PpdNEFn0Kb1W8nIr1wvELWXfiing6csXTnJOL8ijvDZ
2sIKesM3oAVU9LZqsgbqlyenwCBHHXoxCdCoQYi2L/WvWarMkjFVMAcezP650FGP
HHotidn9jEjktRzntJZBXvUyt46a1qa49Ym2rwIDAQABAoIBABJnuFpa4BkXOJFB
2OIFvk9WZf5QhwaaIXJC0XQZ8YS4HU/omLJrMAss5jk16KchMhau4gwHudJKArAP
ziDo6Pwkwr2x6OhGZfPPzCafzkDm2P5gpaJwbmar84REN4exuihdk8VvlgmfZU1R
S9ogxAcw0y3lMedDnmeBXCAA17bZGriNgh6cXIvX074sIZCIY8qGtmFVyCtoToCs
LHaYb8VOI5qPT2hPGVjMaxlQacJ0SnbW18k5AjQGeIxLv9OxebwgtYZhhr9pJzyo
TpR9IiPyGeEvqb+JL/3tP52HEaf3FwQdD72FMPu9tK5ZVAgeKxc9Z555+ET/+Tgt
vM7XFHkCgYEA9sb2HR0HxBfWrnoNPPezUTkPcSJL+2p1FpG2AlMMynveaPbR1KtP
a1E/UDXsc4s7WY0T3h1SL52KZgs6Pdmi+lvvKcXYK7ElhH671JwVFWxf1apRhura
CUTArfWjESRGuFwvQ7K/K4HQTPgajWkRCFV9xojbt+R6iyaRo1Opm/MCgYEA2tkJ
mZusmCgKoORmLBeZx1HE7Cw/5zRxNRG/13bH9gTmqtUmuo69hVTgfAHGHYmp82bn
PQROw18YOk1OeuaplwnS2O58T+KCSl3ulh75WQbJqqG4Q6GfEg3SMMCizXtvLMkJ
NomVG2QizcD4Esndq/97ZA1LODfDWsvIvwtaFVUCgYEA1nRXAzvsOMwio6Orh3UX
HxnAQqf0cfu03zUnf+OedQSqZntAJFnvfaqwo8sIveycWhlQz7CZcImu8TkGlyNg
D8P/FkU5s9aRbRAZuQ0fAWwZ6HvHt8C2VGGsNEEIQehNkP+Dj4hxu6RnWcwufv90
btKkp/jdQHTMzcppvA8DkWMCgYAE44RLYibg30Qdg/ykT4Kn6TO08ugaihldTiAy
9/xPipx8hHZxBG9HYzYAjymVz1V0kn/n5Qi9ZIpuAvwV0sFHFnkXT3yHbE/syVxj
Dh4T1wr6PNKY8CtVg+mGHUeFv5QkM/l4tmoWSo5ceksQYGILTZG8Em/zuYsrpBG/
8sj4YQKBgQDLlD6fiVuB4Sz16ukXL0gC1xU5/6tAVU1J6agi6/Hv9fuHLv24kctm
ip32c46i0F8ksz6HPqIg0BoVEVa6sJfGATYGn49dTMdtTtH+u8KKEk24PzdXbsF7
55gRZQCfQkUkYP3B2HZobE/fqF3k3Q0BSYMM617kR6FkHUE+5PLt0w==
-----END RSA PRIVATE KEY-----`

/** A PEM with the right armour and garbage inside: passes the shape check, fails the import. */
export const GARBAGE_PEM = `-----BEGIN PRIVATE KEY-----
bm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIGJ5dGVz
-----END PRIVATE KEY-----`

function privateJwk(pem: string): JWK {
  return createPrivateKey(pem).export({ format: 'jwk' }) as JWK
}

function publicJwk(pem: string): JWK {
  return createPublicKey(pem).export({ format: 'jwk' }) as JWK
}

export const RSA_PRIVATE_JWK = privateJwk(RSA_PRIVATE_PEM)
export const EC_PRIVATE_JWK = privateJwk(EC_PRIVATE_PEM)
export const ED25519_PRIVATE_JWK = privateJwk(ED25519_PRIVATE_PEM)
export const RSA_PUBLIC_JWK = publicJwk(RSA_PUBLIC_PEM)
export const EC_PUBLIC_JWK = publicJwk(EC_PUBLIC_PEM)
export const ED25519_PUBLIC_JWK = publicJwk(ED25519_PUBLIC_PEM)

/** Each asymmetric algorithm with its private key (PEM and JWK) and the public key to verify. */
export const ASYMMETRIC_KEYS = [
  {
    alg: 'RS256',
    privatePem: RSA_PRIVATE_PEM,
    privateJwk: RSA_PRIVATE_JWK,
    publicPem: RSA_PUBLIC_PEM,
  },
  {
    alg: 'ES256',
    privatePem: EC_PRIVATE_PEM,
    privateJwk: EC_PRIVATE_JWK,
    publicPem: EC_PUBLIC_PEM,
  },
  {
    alg: 'EdDSA',
    privatePem: ED25519_PRIVATE_PEM,
    privateJwk: ED25519_PRIVATE_JWK,
    publicPem: ED25519_PUBLIC_PEM,
  },
] as const
