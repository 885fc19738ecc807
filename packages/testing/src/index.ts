export { komoEmbedPath, komoEmbedSource } from './komo-embed/embed'
export { bettermodeSimulator } from './simulators/bettermode'
export type {
  BettermodeMember,
  BettermodeSimulator,
  BettermodeSimulatorOptions,
} from './simulators/bettermode'
export { comm100Simulator } from './simulators/comm100'
export type { Comm100Simulator, Comm100SimulatorOptions } from './simulators/comm100'
export { komoSimulator } from './simulators/komo'
export type {
  KomoContact,
  KomoKeyOptions,
  KomoSimulator,
  KomoSimulatorOptions,
} from './simulators/komo'
export { konnecSimulator } from './simulators/konnec'
export type {
  KonnecApiRoute,
  KonnecFault,
  KonnecFaultOptions,
  KonnecFaultSpec,
  KonnecSimulator,
  KonnecSimulatorOptions,
  KonnecUser,
} from './simulators/konnec'
export { kustomerSimulator } from './simulators/kustomer'
export type {
  KustomerCustomer,
  KustomerSimulator,
  KustomerSimulatorOptions,
} from './simulators/kustomer'
export type {
  ListeningSimulator,
  Simulator,
  SimulatorBaseOptions,
  SimulatorEvent,
  SimulatorVendor,
} from './simulators/server'
export { VendorTokenError, importVendorKey, verifyVendorToken } from './verify'
export type {
  KomoAlgorithm,
  TokenVendor,
  VendorClaims,
  VendorKeyInput,
  VendorTokenErrorCode,
  VendorVerifyKey,
  VerifyVendorTokenOptions,
} from './verify'
