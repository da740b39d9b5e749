export { startIzumaEmulator, IZUMA_SANDBOX_CREDENTIALS, type IzumaCredentials, type IzumaEmulator, type IzumaEmulatorOptions } from './emulator.js';
export type { AsyncResponse, DeviceRequestRecord, DeviceState } from './model.js';
export type { NewEvent } from './store.js';
export { DEMO_DEVICE_COUNT, EVENT_TYPES } from './seed.js';
export {
  IZUMA_SPEC_FILES,
  izumaSpecDir,
  preloadIzumaSpec,
  findSpecOperation,
  inspectRequest,
  validateRequestAgainstSpec,
  validateRecordedRequest,
  validateResponseAgainstSpec,
  parseIzumaDateTime,
  type FilterCondition,
  type SpecCheck,
  type SpecIssue,
} from './spec-validator.js';
