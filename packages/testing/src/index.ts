export { komoEmbedPath, komoEmbedSource } from './komo-embed/embed'
export type { ListeningSimulator } from './server/listen'
export type { Simulator, SimulatorBaseOptions } from './server/core'
export type { SimulatorEvent } from './server/events'
export type { SimulatorVendor } from './vendors'
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

// One block per vendor.
export { bettermodeSimulator } from './simulators/bettermode'
export type {
  BettermodeMember,
  BettermodeSimulator,
  BettermodeSimulatorOptions,
} from './simulators/bettermode'
export { cannySimulator } from './simulators/canny'
export type {
  CannyCompanyOptions,
  CannySimulator,
  CannySimulatorOptions,
  CannyUser,
} from './simulators/canny'
export { cannySdkPath, cannySdkSource } from './simulators/canny/sdk'
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
  KonnecResponse,
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
export { metabaseSimulator } from './simulators/metabase'
export type {
  MetabaseSimulator,
  MetabaseSimulatorOptions,
  MetabaseUser,
} from './simulators/metabase'
export { metabaseSdkPath, metabaseSdkSource } from './simulators/metabase/sdk'
export { discourseSimulator } from './simulators/discourse'
export type {
  DiscourseSimulator,
  DiscourseSimulatorOptions,
  DiscourseUser,
} from './simulators/discourse'
export {
  DiscoursePayloadError,
  signDiscoursePayload,
  verifyDiscoursePayload,
} from './simulators/discourse/verify'
export type { DiscoursePayload, DiscoursePayloadErrorCode } from './simulators/discourse/verify'
export { intercomSimulator } from './simulators/intercom'
export type { IntercomSimulator, IntercomSimulatorOptions } from './simulators/intercom'
export { IntercomBootError, verifyIntercomBoot } from './simulators/intercom/boot'
export type {
  IntercomBoot,
  IntercomBootErrorCode,
  IntercomBootRules,
  IntercomUser,
} from './simulators/intercom/boot'
export { intercomUserHash, verifyIntercomUserHash } from './simulators/intercom/verify'
export { intercomWidgetPath, intercomWidgetSource } from './simulators/intercom/widget'
export { featurebaseSimulator } from './simulators/featurebase'
export type {
  FeaturebaseSimulator,
  FeaturebaseSimulatorOptions,
  FeaturebaseUser,
} from './simulators/featurebase'
export {
  featurebaseSdkBootPath,
  featurebaseSdkPath,
  featurebaseSdkSource,
} from './simulators/featurebase/sdk'
export { zendeskSimulator } from './simulators/zendesk'
export type {
  ZendeskConfiguration,
  ZendeskConfigurationName,
  ZendeskConfigurationOptions,
  ZendeskRole,
  ZendeskSimulator,
  ZendeskSimulatorOptions,
  ZendeskUser,
} from './simulators/zendesk'
