import type { SsoUser } from '../../src/index'

/** The signed-in user of the adapter tests. Her email must never show up in events or pages. */
export const ADA: SsoUser = {
  id: 'user-ada-1815',
  email: 'ada@lovelace.example',
  emailVerified: true,
  firstName: 'Ada',
  lastName: 'Lovelace',
}
