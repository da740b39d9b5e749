/** Wire shapes of HARDWARIO Cloud v2 as the emulator sends and stores them (field names are the vendor's). */

export type SpaceType = 'personal' | 'team' | 'default' | 'premium';

export interface HardwarioSpace {
  id: string;
  name: string;
  type: SpaceType;
  owner_id: string;
  user_role: 'admin' | 'user';
  created_at: string;
}

export type TagAccessType = 'write' | 'read';

export interface HardwarioTag {
  id: string;
  name: string;
  color: string;
  access_type: TagAccessType;
  created_at: string;
}

export interface HardwarioDevice {
  id: string;
  space_id: string;
  name: string;
  comment: string | null;
  serial_number: string;
  external_id: string | null;
  label: Record<string, string>;
  tags: HardwarioTag[];
  created_at: string;
  last_seen: string | null;
  session_id: number | null;
  config_hash: string | null;
  decoder_hash: string | null;
  encoder_hash: string | null;
  dashboard_type: string | null;
}

export const MESSAGE_TYPES = ['data', 'session', 'config', 'shell', 'stats', 'codec', 'encoder', 'decoder', 'firmware'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export type MessageDirection = 'up' | 'down';
export type DownState = 'pending' | 'sent' | 'cancelled';

export interface HardwarioMessage {
  id: string;
  created_at: string;
  device_id: string;
  device_name: string;
  device_serial_number: string;
  type: MessageType;
  direction: MessageDirection;
  /** The decoded payload as a JSON-encoded string, as the REST API returns it. */
  body: string;
  raw: string | null;
  codec_hash: string | null;
  down_state: DownState | null;
  down_state_at: string | null;
  down_scheduled_at: string | null;
  down_attempt: number;
}

export const CONNECTOR_TRIGGERS = ['data', 'session', 'config', 'stats', 'codec'] as const;
export type ConnectorTrigger = (typeof CONNECTOR_TRIGGERS)[number];

export interface HardwarioConnector {
  id: string;
  name: string;
  type: 'webhook';
  direction: MessageDirection;
  state: 'enabled' | 'disabled';
  triggers: ConnectorTrigger[];
  tags: HardwarioTag[];
  transformation: string;
  retry_delays: number[];
  timeout: number;
  created_at: string;
}

/** The `device` part of a connector job: tags are names here, unlike REST device objects. */
export interface HardwarioJobDevice {
  id: string;
  space_id: string;
  serial_number: string;
  name: string;
  label: Record<string, string>;
  tags: string[];
  session_id: number | null;
  created_at: string;
}
