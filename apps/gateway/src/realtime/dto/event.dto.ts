import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { MessageDto } from '../../messages/message.dto.js';
import { ReadingDto } from '../../readings/reading.dto.js';
import type { StoredEvent } from '../event-log.js';

export const EVENT_TYPE = 'message.created';

@ApiSchema({ name: 'EventMessage', description: 'A pushed message, with the readings it carries.' })
export class EventMessageDto extends MessageDto {
  @ApiProperty({ description: 'The measured values this message carries, as listDeviceReadings shows them (`[]` when none).', type: [ReadingDto] })
  readings: ReadingDto[];
}

@ApiSchema({
  name: 'Event',
  description:
    'A message a vendor pushed to devicegate, as the event stream and webhooks carry it. `id` is the message id and stays the same however often the vendor repeats the push, so it de-duplicates; `sequence` orders events as devicegate accepted them.',
})
export class EventDto {
  @ApiProperty({ description: 'Always `event`.', enum: ['event'], example: 'event' })
  object: 'event';

  @ApiProperty({ description: 'Stable event id: the unified id of the message. Use it to de-duplicate.', example: 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8' })
  id: string;

  @ApiProperty({ description: 'Position in the event stream (the SSE `id` is `<store>-<sequence>`); increases with every accepted event.', example: 42 })
  sequence: number;

  @ApiProperty({ description: 'What happened.', enum: [EVENT_TYPE], example: EVENT_TYPE })
  type: string;

  @ApiProperty({ description: 'The connection whose vendor pushed it.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'When devicegate accepted the push (RFC 3339 UTC).', type: String, format: 'date-time', example: '2024-04-17T11:08:28.102Z' })
  received_at: string;

  @ApiProperty({ description: 'The message, with its readings.', type: () => EventMessageDto })
  data: EventMessageDto;
}

/** The JSON of an event, for the stream and for webhooks. */
export const eventBody = (event: StoredEvent): EventDto => ({
  object: 'event',
  id: event.id,
  sequence: event.seq,
  type: EVENT_TYPE,
  connection_id: event.connectionId,
  received_at: new Date(event.receivedAt).toISOString(),
  data: { readings: [], ...event.message } as EventMessageDto,
});

@ApiSchema({
  name: 'StreamNotice',
  description:
    'The `data` of a `stream.notice` frame of the event stream: sent first when the `Last-Event-ID` cannot be resumed from exactly, before the stream replays every event kept.',
})
export class StreamNoticeDto {
  @ApiProperty({ description: 'Always `stream_notice`.', enum: ['stream_notice'], example: 'stream_notice' })
  object: 'stream_notice';

  @ApiProperty({
    description:
      '`unknown_last_event_id`: the store did not issue this id (another store\'s, newer than any event, or not an event id). `events_expired`: events after it are no longer kept (`server.event_retention_hours`).',
    enum: ['unknown_last_event_id', 'events_expired'],
    example: 'unknown_last_event_id',
  })
  code: 'unknown_last_event_id' | 'events_expired';

  @ApiProperty({ description: 'What happened, for people.', example: 'This Last-Event-ID was not issued by this event stream …' })
  message: string;

  @ApiProperty({ description: 'The id the client resumed from, as given (at most 100 characters).', example: '77c0e1b2aa-913' })
  last_event_id: string;

  @ApiProperty({ description: 'The sequence of the oldest event kept, where the replay starts; null when none is kept.', type: Number, nullable: true, example: 41 })
  oldest_sequence: number | null;
}
