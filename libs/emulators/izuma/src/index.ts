export { startIzumaEmulator, IZUMA_SANDBOX_CREDENTIALS, type IzumaCredentials, type IzumaEmulator, type IzumaEmulatorOptions } from './izuma.emulator.js';
export type { AsyncResponse, DeviceRequestRecord, DeviceState } from './izuma.model.js';
export type { NewEvent } from './izuma.store.js';
export { DEMO_DEVICE_COUNT, EVENT_TYPES } from './izuma.seed.js';
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
} from './izuma.spec-validator.js';
