import { ApiParam } from '@nestjs/swagger';

/** A device of each sandbox connection that has temperature sensors (the sandbox ids are the same at every start). */
export const SANDBOX_TEMPERATURE_DEVICES = {
  hardwario: 'sandbox-hardwario:018e3c67-c4b3-7538-83cb-00dddca059da',
  disruptive: 'sandbox-disruptive:c9cgt47tg3o1jb8oesn0',
  iottly: 'sandbox-iottly:6948feff-b0d0-4d1f-843a-564fde84651b',
  izuma: 'sandbox-izuma:018ab7c55ce10000000000010010bdec',
  blynk: 'sandbox-blynk:1001',
} as const;

/** The `device_id` path parameter, with a sandbox device of each vendor to pick in "Try it out". */
export const ApiSandboxDeviceParam = () =>
  ApiParam({
    name: 'device_id',
    description: 'Unified device id `<connection_id>:<native id>`. The examples are sandbox devices with temperature sensors.',
    schema: { type: 'string' },
    // Numbered so that the generated document (sorted keys) keeps HARDWARIO, with the longest series, first: Swagger UI preselects it.
    examples: Object.fromEntries(Object.entries(SANDBOX_TEMPERATURE_DEVICES).map(([provider, id], i) => [`${i + 1}_${provider}`, { summary: `Sandbox device (${provider})`, value: id }])),
  });
