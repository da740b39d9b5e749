/** Wire types of the iottly v1.0 REST API (reference: shared/vendors/iottly.md). Never part of the public schema. */

/** `GET project/{id}/inspect` (§5.1). Every documented field is a string. */
export interface IottlyProject {
  id: string;
  name?: string;
  projectgetagenturl?: string;
  agentfile?: string;
  agentapihost?: string;
  /** The project's device type / architecture, e.g. `Linux ARMv5`. */
  board?: string;
  [key: string]: unknown;
}

/** `connected` | `disconnected` in the props and license APIs (§5.2, §5.3). */
export type IottlyOperatingStatus = 'connected' | 'disconnected' | (string & {});

/** One device of `devices/props`, `device/{id}/props` and the PUT answer (§5.3; the ten fields of PR #12). */
export interface IottlyDevice {
  /** Device UUID. Upper case here; the license API spells it `id`. */
  ID: string;
  name?: string | null;
  macaddress?: string | null;
  operatingstatus?: IottlyOperatingStatus | null;
  /** The license token the device is paired with. */
  token?: string | null;
  agent_version?: string | null;
  installing?: boolean | null;
  pair_code?: string | null;
  fwsyncstatus?: string | null;
  deploymentgroup?: string | null;
  [key: string]: unknown;
}

/** `GET project/{id}/devices/props`: the whole list, no paging (§5.3). */
export interface IottlyDeviceList {
  count?: number;
  errors?: unknown;
  devices: IottlyDevice[];
}

/** `PUT project/{id}/device/{id}/props`: only `name` is documented as editable. */
export interface IottlyDeviceUpdate {
  name: string;
}

/** `userdefined` (device firmware) or `iottlyagent` (the device agent) (§3.5). */
export type IottlyMessageType = 'userdefined' | 'iottlyagent';

/** Mongo extended JSON date of the history API: `{"$date": "2017-09-20T00:33:27.230Z"}` (or epoch ms forms). */
export interface MongoDate {
  $date: string | number | { $numberLong: string };
}

/** A device message. The paginated API sends zone-less ISO strings and no `_id` (§3.3, §5.6). */
export interface IottlyMessage {
  from: string;
  to?: string;
  timestamp: string | MongoDate;
  devicetimestamp?: string | MongoDate | null;
  type?: IottlyMessageType | (string & {});
  payload?: unknown;
  channel?: string;
  [key: string]: unknown;
}

/** `GET …/device/{id}/messages/paginated` 200 body: `messages` is the only member. */
export interface IottlyMessagePage {
  messages: IottlyMessage[];
}

/** Query of the paginated messages API (§5.6). `from` inclusive, `to` exclusive, both zone-less UTC ISO. */
export interface IottlyMessageQuery {
  p: number;
  l: number;
  type: 'all' | IottlyMessageType;
  sort: 'asc' | 'desc';
  from?: string;
  to?: string;
}

/** `POST project/{p}/device/{d}/command` body: each `values` key is `<cmd_type>.<keyword>` (§5.4). */
export interface IottlyCommandBody {
  cmd_type: string;
  values: Record<string, unknown>;
}
