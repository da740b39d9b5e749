import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PROVIDER_IDS } from '@devicegate/core';
import { ListOf } from '../common/list.dto.js';

const MESSAGE_ID = 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8';

@ApiSchema({ name: 'Message', description: 'A message a device sent or received, in one shape for every vendor.' })
export class MessageDto {
  @ApiProperty({ description: 'Always `message`.', enum: ['message'], example: 'message' })
  object: 'message';

  @ApiProperty({ description: 'Unified id; stable, so it can be used as `after`.', example: MESSAGE_ID })
  id: string;

  @ApiProperty({ description: 'The device it belongs to.', example: 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f' })
  device_id: string;

  @ApiProperty({ description: 'The connection it comes from.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'The provider of that connection.', enum: PROVIDER_IDS, example: 'hardwario' })
  provider: string;

  @ApiProperty({ description: 'From the device (`uplink`) or to it (`downlink`).', enum: ['uplink', 'downlink'], example: 'uplink' })
  direction: string;

  @ApiProperty({ description: 'What kind of message it is, across vendors.', enum: ['data', 'event', 'status', 'config', 'command', 'log'], example: 'data' })
  type: string;

  @ApiProperty({
    description:
      "The vendor's own type string. Blynk: the event's code as its template defines it (`high_temperature`), read from the template's event list once per template; the event type (`WARNING`) only when the template cannot be read.",
    nullable: true,
    type: String,
    example: 'data',
  })
  native_type: string | null;

  @ApiProperty({ description: 'When the cloud received it (RFC 3339 UTC).', type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  created_at: string;

  @ApiProperty({ description: "The device's own clock, or null.", nullable: true, type: String, format: 'date-time', example: null })
  device_time: string | null;

  @ApiProperty({ description: 'The decoded payload.', type: 'object', additionalProperties: true, example: { thermometer: { temperature: 22.43 } } })
  data: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'The raw vendor object; present with `include=native`.', type: 'object', additionalProperties: true, example: { id: '018eebbe-678d-7c60-b4ef-d141f48378e8' } })
  native?: unknown;
}

export const MessageListDto = ListOf(MessageDto, 'MessageList', MESSAGE_ID, 'DESC');
