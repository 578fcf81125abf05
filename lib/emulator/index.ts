// The emulator's public surface, for users' tests and ours.
export { startEmulator, type RunningEmulator } from "./emulator";
export {
  DEFAULT_ACCESS_KEY,
  DEFAULT_BIND_DELAY_MS,
  DEFAULT_CLI_PORT,
  DEFAULT_HOST,
  DEFAULT_PROJECT_ID,
  DEFAULT_SECRET_KEY,
  EmulatorOptionError,
  type EmulatorOptions,
} from "./options";
export {
  SeedError,
  type EmulatorPort,
  type EmulatorSeed,
  type EmulatorState,
  type SeedPort,
  type SeedPublicIp,
  type SeedSubnet,
  type Subnet,
} from "./model";
export { FaultError, type ActiveFault, type FaultRule } from "./faults";
export type { RequestLogEntry } from "./request-log";
