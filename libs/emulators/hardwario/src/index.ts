export {
  HARDWARIO_SANDBOX_CREDENTIALS,
  PUSH_CONNECTOR_ID as HARDWARIO_PUSH_CONNECTOR_ID,
  startHardwarioEmulator,
  type HardwarioPushTarget,
  type AddUplinkOptions,
  type HardwarioCredentials,
  type HardwarioEmulator,
  type HardwarioEmulatorOptions,
  type HardwarioMessageEvent,
} from './hardwario.emulator.js';
export { LIMITS as HARDWARIO_PAGE_LIMITS } from './hardwario.routes.js';
export { DEMO_DEVICE_COUNT as HARDWARIO_DEMO_DEVICE_COUNT } from './hardwario.seed.js';
export type * from './hardwario.types.js';
