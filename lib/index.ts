export * from "./huaweicloud-connection";
export * from "./virtual-ip-binding";
export * from "./eip-association";
export type { BindingBaseConfig } from "./binding-support";
export { BindingConfigError } from "./errors";
export { startEmulator } from "./emulator";
export type { VirtualIpSpec, EipSpec, HookSettings } from "./hook/types";
