import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { CONNECTION_ID_PATTERN, PROVIDER_IDS } from '@devicegate/core';
import { ListOf } from '../common/list.dto.js';
import { ReadingDto } from '../readings/reading.dto.js';
import { IsStringMap } from '../common/validators.js';

const DEVICE_ID = 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f';

@ApiSchema({ name: 'Device', description: 'A device of any connection, in one shape for every vendor.' })
export class DeviceDto {
  @ApiProperty({ description: 'Always `device`.', enum: ['device'], example: 'device' })
  object: 'device';

  @ApiProperty({ description: 'Unified id: `<connection_id>:<native id>`; the native part is the vendor\'s own id.', example: DEVICE_ID })
  id: string;

  @ApiProperty({ description: 'The connection it comes from.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'The provider of that connection.', enum: PROVIDER_IDS, example: 'hardwario' })
  provider: string;

  @ApiProperty({ description: 'Unified id of the project (space, project, organization or account) it belongs to.', nullable: true, type: String, example: 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3' })
  project_id: string | null;

  @ApiProperty({ description: 'The device name.', nullable: true, type: String, example: 'meteo-garden' })
  name: string | null;

  @ApiProperty({
    description:
      'Vendor model, product or template, as a string. HARDWARIO names a device\'s product only in its uplinks (`attribute.product_name`): a connection learns it from the uplinks it reads (status, messages) and, on the first `getDevice` of a device it does not know yet, from one extra read of its latest uplink (once per device and connection; null when no uplink names a product). Lists read no message for it: a HARDWARIO device whose type the connection has not learnt yet is listed with `type` null (and a `type` filter does not find it) until one of those reads.',
    nullable: true,
    type: String,
    example: 'chester-meteo',
  })
  type: string | null;

  @ApiProperty({ description: 'The serial number, where the vendor has one.', nullable: true, type: String, example: '2159020389' })
  serial_number: string | null;

  @ApiProperty({ description: 'Key/value labels (`{}` where the vendor has none).', type: 'object', additionalProperties: { type: 'string' }, example: { site: 'brno-hq', location: 'roof' } })
  labels: Record<string, string>;

  @ApiProperty({
    description: 'Tag names (`[]` where the vendor has none). Null in lists where reading them would cost one vendor call per device (Blynk); filled by getDevice.',
    nullable: true,
    type: [String],
    example: ['outdoor'],
  })
  tags: string[] | null;

  @ApiProperty({ description: 'Whether the device is online now; null when unknown (or, for Blynk, in lists).', nullable: true, type: Boolean, example: true })
  online: boolean | null;

  @ApiProperty({ description: 'When the device was last heard from (RFC 3339 UTC), or null.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  last_seen_at: string | null;

  @ApiProperty({ description: 'When it was created or claimed, or null.', nullable: true, type: String, format: 'date-time', example: '2023-08-30T06:51:20.761Z' })
  created_at: string | null;

  @ApiProperty({ description: 'When it was last changed, or null.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  updated_at: string | null;

  @ApiPropertyOptional({
    description:
      'The latest reading of each name, where the vendor\'s device object carries them (Disruptive Technologies `reported`; Blynk datastream values on getDevice); null where it does not (getDeviceStatus reads them). In lists only with `include=readings`; always on getDevice.',
    nullable: true,
    type: [ReadingDto],
  })
  readings?: ReadingDto[] | null;

  @ApiPropertyOptional({ description: 'The raw vendor object; present with `include=native`.', type: 'object', additionalProperties: true, example: { id: '018e2ca2-0740-75dc-949f-37519117437f' } })
  native?: unknown;
}

export const DeviceListDto = ListOf(DeviceDto, 'DeviceList', DEVICE_ID);

@ApiSchema({ name: 'DeviceStatus', description: 'Whether a device is online, when it was last seen, and vendor facts about it.' })
export class DeviceStatusDto {
  @ApiProperty({ description: 'Always `device_status`.', enum: ['device_status'], example: 'device_status' })
  object: 'device_status';

  @ApiProperty({ description: 'The device.', example: DEVICE_ID })
  device_id: string;

  @ApiProperty({ description: 'Whether it is online; null when unknown.', nullable: true, type: Boolean, example: true })
  online: boolean | null;

  @ApiProperty({ description: 'When it was last heard from, or null.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  last_seen_at: string | null;

  @ApiProperty({ description: 'When devicegate asked the vendor.', type: String, format: 'date-time', example: '2024-04-17T11:09:00.000Z' })
  checked_at: string;

  @ApiProperty({ description: 'Vendor facts worth showing: signal, battery, connection type, latest readings …', type: 'object', additionalProperties: true, example: { battery_voltage: 3.1, signal_rsrp: -95 } })
  details: Record<string, unknown>;

  @ApiProperty({
    description:
      'The latest reading of each name the device reports (`[]` when none): Disruptive Technologies `reported`, Blynk datastream values, the newest HARDWARIO uplink, the newest iottly messages, the resource values of Izuma\'s Device Echo.',
    type: [ReadingDto],
  })
  readings: ReadingDto[];

  @ApiPropertyOptional({
    description: 'The vendor objects the status was read from, by what they are (`device`, and `echo`, `online`, `latest_uplink` or `messages` where read); present with `include=native`.',
    type: 'object',
    additionalProperties: true,
    example: { device: { id: '018e2ca2-0740-75dc-949f-37519117437f' }, latest_uplink: null },
  })
  native?: Record<string, unknown>;
}

@ApiSchema({ name: 'CreateDeviceRequest', description: 'What createDevice needs; providers use the fields that apply to them.' })
export class CreateDeviceDto {
  @ApiProperty({ description: 'The connection to create (or claim) the device in.', example: 'sandbox-hardwario', pattern: CONNECTION_ID_PATTERN.source })
  @IsString()
  @Matches(CONNECTION_ID_PATTERN, { message: 'connection_id must be a connection id' })
  connection_id: string;

  @ApiPropertyOptional({ description: 'Unified id of the project to create it in, where the vendor has several.', example: 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  project_id?: string;

  @ApiPropertyOptional({ description: 'The device name (vendors apply their own naming rules).', example: 'meteo-roof' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Model, product or template id, where the vendor needs one (Blynk template id).', example: 'TMPL4d3f' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;

  @ApiPropertyOptional({ description: 'Serial number (HARDWARIO claims by serial number and claim token).', example: '2159020389' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  serial_number?: string;

  @ApiPropertyOptional({ description: 'Labels to set.', type: 'object', additionalProperties: { type: 'string' }, example: { location: 'roof' } })
  @IsOptional()
  @IsStringMap()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Tag names to set.', type: [String], example: ['outdoor'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Provider-specific extras, e.g. `{"token": "<claim token>"}` for HARDWARIO or `{"owner_email": "…"}` for Blynk.', type: 'object', additionalProperties: true, example: { token: '7d1c0e5b8a3f4e2d9c6b5a4f3e2d1c0b' } })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}

@ApiSchema({ name: 'UpdateDeviceRequest', description: 'What updateDevice changes; give at least one field.' })
export class UpdateDeviceDto {
  @ApiPropertyOptional({ description: 'The new name.', example: 'meteo-garden-2' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    description: 'Labels to merge into the current ones; a label set to null is removed, labels not named are kept.',
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    example: { location: 'greenhouse', obsolete: null },
  })
  @IsOptional()
  @IsStringMap({ allowNull: true })
  labels?: Record<string, string | null>;

  @ApiPropertyOptional({ description: 'The whole new set of tag names.', type: [String], example: ['outdoor', 'garden'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  tags?: string[];
}

@ApiSchema({ name: 'TransferDeviceRequest', description: 'Where to move a device: exactly one of project_id and owner_user_id.' })
export class TransferDeviceDto {
  @ApiPropertyOptional({ description: 'Unified id of the project (same connection) to move the device into. Give this or `owner_user_id`.', example: 'sandbox-disruptive:cv1ab2cd3ef4gh5ij6kl' })
  @ValidateIf((o: TransferDeviceDto) => o.owner_user_id === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  project_id?: string;

  @ApiPropertyOptional({ description: 'The vendor user to make the owner (Blynk). Give this or `project_id`.', example: '4711' })
  @ValidateIf((o: TransferDeviceDto) => o.project_id === undefined)
  @Type(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  owner_user_id?: string;
}
