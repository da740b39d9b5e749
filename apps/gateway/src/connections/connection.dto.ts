import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { CAPABILITIES, CONNECTION_ID_PATTERN, PROVIDER_IDS } from '@devicegate/core';
import { ListOf } from '../common/list.dto.js';

@ApiSchema({ name: 'Circuit', description: 'The circuit breaker of a connection.' })
export class CircuitDto {
  @ApiProperty({
    description: '`closed`: calls go out. `open`: after repeated vendor failures calls answer 503 `upstream_unavailable` at once. `half_open`: the pause is over and the next call is a probe that closes or re-opens it.',
    enum: ['closed', 'open', 'half_open'],
    example: 'closed',
  })
  state: string;

  @ApiProperty({ description: 'Vendor failures in a row (5xx, timeouts, unreachable).', example: 0 })
  consecutive_failures: number;

  @ApiProperty({ description: 'When it last opened, while it is not closed.', nullable: true, type: String, format: 'date-time', example: null })
  opened_at: string | null;

  @ApiProperty({ description: 'When a probe may pass, while it is open.', nullable: true, type: String, format: 'date-time', example: null })
  retry_at: string | null;
}

@ApiSchema({
  name: 'ConnectionStream',
  description:
    "The vendor event stream devicegate holds for a connection in push mode `pull` (DT `devices:stream`, the Izuma WebSocket channel; for Blynk, which has none, the sampling of its datastream values every `sample_interval_seconds`). With `server.redis_url` one instance holds it and the others stand by; each instance reports its own view.",
})
export class StreamStateDto {
  @ApiProperty({ description: 'Always `pull`.', enum: ['pull'], example: 'pull' })
  mode: 'pull';

  @ApiProperty({
    description:
      '`connected`: the stream is open and its events reach `/v1/events`. `connecting`: opening it the first time. `reconnecting`: it ended and is being opened again (after a jittered back-off from 0.5 s to 30 s); what the vendor keeps of the gap is read when it reopens. `standby`: another instance holds it. `stopped`: devicegate is shutting down.',
    enum: ['connecting', 'connected', 'reconnecting', 'standby', 'stopped'],
    example: 'connected',
  })
  state: string;

  @ApiProperty({ description: 'When the stream opened, while it is connected.', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  connected_since: string | null;

  @ApiProperty({ description: 'How many times this instance opened the stream again after it ended (a vendor or network drop).', example: 0 })
  reconnects: number;

  @ApiProperty({ description: 'When this instance last stored an event from the stream (or from the gap read after a reconnect).', nullable: true, type: String, format: 'date-time', example: '2024-04-17T11:08:31.002Z' })
  last_event_at: string | null;

  @ApiProperty({ description: 'Why the stream last failed, while it has not opened again (no credential ever appears here).', nullable: true, type: String, example: null })
  last_error: string | null;
}

@ApiSchema({ name: 'Connection', description: 'A configured vendor account: its provider, vendor base URL, capabilities and health. Never its credentials.' })
export class ConnectionDto {
  @ApiProperty({ description: 'Always `connection`.', enum: ['connection'], example: 'connection' })
  object: 'connection';

  @ApiProperty({ description: 'The connection id: the prefix of every id that comes from it.', example: 'sandbox-hardwario', pattern: CONNECTION_ID_PATTERN.source })
  id: string;

  @ApiProperty({ description: 'The vendor integration.', enum: PROVIDER_IDS, example: 'hardwario' })
  provider: string;

  @ApiProperty({ description: 'A human-readable name.', example: 'HARDWARIO Cloud (sandbox-hardwario)' })
  display_name: string;

  @ApiProperty({ description: 'The root URL of the vendor API that this connection calls, without any `user:password@` part.', example: 'http://127.0.0.1:41001' })
  base_url: string;

  @ApiProperty({
    description: 'Which unified operations the provider supports; an operation mapped to `false` answers 501 `not_supported`.',
    type: 'object',
    additionalProperties: { type: 'boolean' },
    example: Object.fromEntries(CAPABILITIES.map((c) => [c, c !== 'devices.transfer'])),
  })
  capabilities: Record<string, boolean>;

  @ApiProperty({ description: 'Health from recent vendor calls: `ok`, `degraded` (some recent calls failed), `unavailable` (repeated failures) or `unknown` (no call yet).', enum: ['ok', 'degraded', 'unavailable', 'unknown'], example: 'ok' })
  status: string;

  @ApiProperty({ description: "The connection's circuit breaker.", type: CircuitDto })
  circuit: CircuitDto;

  @ApiProperty({ description: 'The vendor stream devicegate holds, for a connection in push mode `pull`; `null` otherwise.', type: StreamStateDto, nullable: true })
  stream: StreamStateDto | null;
}

export const ConnectionListDto = ListOf(ConnectionDto, 'ConnectionList', 'sandbox-hardwario');
