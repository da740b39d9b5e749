import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

@ApiSchema({ name: 'CommandResult', description: "The device's answer to a command, as the vendor reports it after the send." })
export class CommandResultDto {
  @ApiProperty({ description: "The vendor's status code of the answer. Izuma: the device's code (200 done, 400 method refused, 404 no such resource, …) or the service's own (429 never delivered, 502/503/504 retries exhausted).", nullable: true, type: Number, example: 200 })
  status: number | null;

  @ApiProperty({ description: "The vendor's error token, or null.", nullable: true, type: String, example: null })
  error: string | null;

  @ApiProperty({ description: "The answer's payload as text when it is text, else null.", nullable: true, type: String, example: '21.5' })
  payload: string | null;

  @ApiProperty({ description: "The answer's payload, base64-encoded as the vendor sent it, or null.", nullable: true, type: String, example: 'MjEuNQ==' })
  payload_b64: string | null;

  @ApiProperty({ description: "The payload's content type, or null.", nullable: true, type: String, example: 'text/plain' })
  content_type: string | null;
}

@ApiSchema({ name: 'Command', description: 'A command sent to a device, with what is known of its delivery.' })
export class CommandDto {
  @ApiProperty({ description: 'Always `command`.', enum: ['command'], example: 'command' })
  object: 'command';

  @ApiProperty({ description: 'Unified id of the command.', example: 'sandbox-hardwario:018eebc0-1a2b-7c3d-8e4f-5a6b7c8d9e0f' })
  id: string;

  @ApiProperty({ description: 'The device it was sent to.', example: 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f' })
  device_id: string;

  @ApiProperty({ description: 'The command name (provider-specific, see sendDeviceCommand).', example: 'downlink' })
  name: string;

  @ApiProperty({ description: 'The parameters it was sent with.', type: 'object', additionalProperties: true, example: { relay: true } })
  params: Record<string, unknown>;

  @ApiProperty({ description: 'What is known of its delivery.', enum: ['queued', 'sent', 'delivered', 'failed', 'unknown'], example: 'queued' })
  status: string;

  @ApiProperty({ description: 'When it was sent, or null.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:10:00.000Z' })
  created_at: string | null;

  @ApiProperty({ description: 'When its status last changed, or null.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:10:00.000Z' })
  updated_at: string | null;

  @ApiProperty({
    description:
      "The device's answer, once the vendor reports it: Izuma pushes each device request's result (`async-responses`) to the notification channel, and the command turns `delivered` (2xx) or `failed` with it. Null until then, and for vendors that report no answer.",
    nullable: true,
    type: CommandResultDto,
  })
  result: CommandResultDto | null;
}

@ApiSchema({ name: 'SendCommandRequest', description: 'A command to send: its name and parameters (provider-specific).' })
export class SendCommandDto {
  @ApiProperty({
    description:
      'The command. HARDWARIO: `downlink`, `config`, `shell`. iottly: a message type of the project. Izuma: `GET`, `PUT`, `POST`, `DELETE`. Blynk: `trigger_event`, `set_datastream`.',
    example: 'downlink',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({
    description:
      'Its parameters. HARDWARIO `downlink`: any JSON object; `config`: `{"lines": ["app config interval-report 1800"]}`; `shell`: `{"commands": ["info show"]}`. See the provider notes in the API description for the others.',
    type: 'object',
    additionalProperties: true,
    example: { relay: true, setpoint: 21.5 },
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}
