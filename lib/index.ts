export * from "./huaweicloud-connection";
export * from "./virtual-ip-binding";
export * from "./eip-association";
export type { BindingBaseConfig } from "./binding-support";
export { BindingConfigError } from "./errors";
export type { HookResourceType } from "./hook-engine";
export {
  startEmulator,
  DEFAULT_ACCESS_KEY,
  DEFAULT_PROJECT_ID,
  DEFAULT_SECRET_KEY,
  type RunningEmulator,
  type EmulatorOptions,
  type EmulatorSeed,
  type EmulatorState,
  type FaultRule,
  type RequestLogEntry,
} from "./emulator";
export type { VirtualIpSpec, VirtualIpApi, EipSpec, HookSettings, CredentialVariables } from "./hook/types";
