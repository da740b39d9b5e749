/**
 * Wire types of HARDWARIO Cloud v2 (vendors/hardwario.md §5). No official schema is published, so every
 * field the reference marks as uncertain is optional or nullable here, and the mapper tolerates both.
 */

/** `GET /v2/spaces/{space_id}` (§5.2). */
export interface HwSpace {
  id: string;
  name?: string | null;
  type?: string | null;
  owner_id?: string | null;
  user_role?: string | null;
  created_at?: string | null;
}

/** A tag object (§5.8); device objects embed these. */
export interface HwTag {
  id: string;
  name: string;
  color?: string | null;
  created_at?: string | null;
  access_type?: 'read' | 'write' | null;
}

/** A device object (§5.3). Product/firmware fields are unpublished; the names below are the reference's guesses. */
export interface HwDevice {
  id: string;
  space_id?: string | null;
  name?: string | null;
  comment?: string | null;
  serial_number?: string | null;
  external_id?: string | null;
  label?: Record<string, unknown> | null;
  /** Tag objects in REST answers; webhook jobs carry plain names, which the mapper accepts too. */
  tags?: Array<HwTag | string> | null;
  created_at?: string | null;
  updated_at?: string | null;
  last_seen?: string | null;
  session_id?: number | string | null;
  config_hash?: string | null;
  decoder_hash?: string | null;
  encoder_hash?: string | null;
  dashboard_type?: string | null;
  product_name?: string | null;
  vendor_name?: string | null;
  hw_variant?: string | null;
  hw_revision?: string | null;
  fw_name?: string | null;
  fw_version?: string | null;
}

/** Message types named by the .NET client enum and the docs (§5.6). */
export type HwDownState = 'pending' | 'sent' | 'cancelled';

/** A message object (§5.6). `body` is a JSON-encoded string in REST answers, but an object is accepted too. */
export interface HwMessage {
  id: string;
  created_at: string;
  device_id?: string | null;
  device_name?: string | null;
  device_serial_number?: string | null;
  type?: string | null;
  direction?: 'up' | 'down' | null;
  body?: unknown;
  raw?: string | null;
  codec_hash?: string | null;
  down_state?: HwDownState | null;
  down_state_at?: string | null;
  down_scheduled_at?: string | null;
  down_attempt?: number | null;
}

/** Query of `GET /v2/spaces/{space_id}/devices` (§5.3). */
export interface HwDeviceListQuery {
  limit: number;
  offset?: string;
  name?: string;
  serial_number?: string;
  'tag_ids[]'?: string[];
  tag_filter_logic?: 'any' | 'all';
  sort_by?: 'id' | 'name' | 'serial_number' | 'external_id' | 'last_seen' | 'session_id';
  order_by?: 'asc' | 'desc';
}

/** Query of `GET /v2/spaces/{space_id}/messages` (§5.6). */
export interface HwMessageListQuery {
  device_id: string;
  after: string;
  before?: string;
  'type[]'?: string[];
  direction?: 'up' | 'down';
  limit: number;
  offset?: string;
}

/** Body of `POST /v2/spaces/{space_id}/devices` (§5.4). */
export interface HwCreateDeviceBody {
  name: string;
  serial_number: string;
  token: string;
  external_id?: string;
  comment?: string;
  label?: Record<string, string>;
  tags?: Array<{ id: string }>;
}

/** Body of `PUT /v2/spaces/{space_id}/devices/{device_id}` (§5.5): any subset, `label` and `tags` replace wholesale. */
export interface HwUpdateDeviceBody {
  name?: string;
  label?: Record<string, string>;
  tags?: Array<{ id: string }>;
}

/** The three per-device downlink endpoints (§5.7 b). */
export type HwDownlinkEndpoint = 'downlinks' | 'configs' | 'commands';
