import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PROVIDER_IDS } from '@devicegate/core';
import { ListOf } from '../common/list.dto.js';

const READING_ID = 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8:thermometer.temperature';

@ApiSchema({
  name: 'Reading',
  description:
    'One measured value, in one shape for every vendor. Units are UCUM codes; a value is never converted: a vendor unit without a UCUM code is kept as the vendor writes it, and where the vendor does not say, `unit` is the one the connection declares for the reading (`readings.units` in the configuration, by native or common name), else null.',
})
export class ReadingDto {
  @ApiProperty({ description: 'Always `reading`.', enum: ['reading'], example: 'reading' })
  object: 'reading';

  @ApiProperty({ description: 'Stable and unique: the message id (or, for a value read from the device itself, the device id) and the native name, so it can be used as `after`.', example: READING_ID })
  id: string;

  @ApiProperty({ description: 'The device it was measured by.', example: 'sandbox-hardwario:018e3c67-c4b3-7538-83cb-00dddca059da' })
  device_id: string;

  @ApiProperty({ description: 'The connection it comes from.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'The provider of that connection.', enum: PROVIDER_IDS, example: 'hardwario' })
  provider: string;

  @ApiProperty({
    description:
      'A common lower-case name where one fits (`temperature`, `humidity`, `co2`, `pressure`, `battery_voltage`, `battery_level`, `signal_strength`, `rssi`, `touch`, `proximity`, `water_present`, `motion`, `occupancy`, `voltage`, `current`, `power`, `energy` …), else the vendor\'s own name.',
    example: 'temperature',
  })
  name: string;

  @ApiProperty({ description: "The vendor's field path, datastream, event type or LwM2M path.", example: 'thermometer.temperature' })
  native_name: string;

  @ApiProperty({ description: 'The value as the vendor reports it.', oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string' }], example: 21.37 })
  value: number | boolean | string;

  @ApiProperty({ description: 'UCUM code (`Cel`, `%`, `[ppm]`, `Pa`, `V`, `dB[mW]` …), the vendor\'s own unit string when it has no UCUM code, the unit the connection declares (`readings.units`) when the vendor names none, or null when unknown.', nullable: true, type: String, example: 'Cel' })
  unit: string | null;

  @ApiProperty({ description: "When it was measured: the device's or sensor's time when the vendor gives it, else when the cloud received it (RFC 3339 UTC).", type: String, format: 'date-time', example: '2024-04-17T11:08:27.000Z' })
  at: string;

  @ApiProperty({ description: 'The message it came from, or null for a value read from the device itself.', nullable: true, type: String, example: 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8' })
  message_id: string | null;
}

export const ReadingListDto = ListOf(ReadingDto, 'ReadingList', READING_ID);
