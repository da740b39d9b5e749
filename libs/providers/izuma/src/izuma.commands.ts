import { toUnifiedId, type Command, type SendCommandInput } from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import type { MapContext } from './izuma.mapper.js';
import type { IzDeviceRequest, IzDeviceRequestOptions, IzRequestMethod } from './izuma.types.js';

/** Contract commands as Izuma device requests (the Device Management Connect async requests), and back. */

const METHODS: readonly IzRequestMethod[] = ['GET', 'PUT', 'POST', 'DELETE'];
const COMMAND_PARAMS = ['uri', 'payload', 'content_type', 'accept', 'retry', 'expiry_seconds'];

/** A device request ready to send: body, query options and the `async-id`. */
export interface DeviceRequestPlan {
  asyncId: string;
  body: IzDeviceRequest;
  options: IzDeviceRequestOptions;
}

const isInteger = (value: unknown, min: number, max: number): value is number => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/**
 * A contract command as an Izuma device request (API.md §4.7): `name` is the CoAP method, `params.uri` the
 * LwM2M path, `params.payload` a string sent base64-encoded (UTF-8), `params.content_type` / `params.accept`
 * the content types; `params.retry` (0–10) and `params.expiry_seconds` (60–2592000) pass the vendor's
 * delivery options. The command id is the `async-id`, so the result on a notification channel can be matched.
 */
export function toDeviceRequest(command: SendCommandInput): DeviceRequestPlan {
  const fields: FieldError[] = [];
  if (!METHODS.includes(command.name as IzRequestMethod)) fields.push({ name: 'name', message: `must be one of ${METHODS.join(', ')}` });
  const params = command.params ?? {};
  for (const key of Object.keys(params)) {
    if (!COMMAND_PARAMS.includes(key)) fields.push({ name: `params.${key}`, message: `is not a parameter of an Izuma device request; allowed: ${COMMAND_PARAMS.join(', ')}` });
  }
  const { uri, payload, content_type: contentType, accept, retry, expiry_seconds: expiry } = params;
  if (typeof uri !== 'string' || !uri.startsWith('/') || uri.length > 1024) fields.push({ name: 'params.uri', message: 'is required: an LwM2M path such as /3303/0/5700' });
  if (payload !== undefined && typeof payload !== 'string') fields.push({ name: 'params.payload', message: 'must be a string' });
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType === '')) fields.push({ name: 'params.content_type', message: 'must be a content type string' });
  if (accept !== undefined && (typeof accept !== 'string' || accept === '')) fields.push({ name: 'params.accept', message: 'must be a content type string' });
  if (retry !== undefined && !isInteger(retry, 0, 10)) fields.push({ name: 'params.retry', message: 'must be an integer from 0 to 10' });
  if (expiry !== undefined && !isInteger(expiry, 60, 2_592_000)) fields.push({ name: 'params.expiry_seconds', message: 'must be an integer from 60 to 2592000' });
  if (!/^[\w-]{1,40}$/.test(command.id)) {
    // devicegate assigns command ids; one the vendor would refuse as async-id is devicegate's own fault.
    throw new GatewayError('internal_server_error', 'The command id cannot be used as an Izuma async-id.');
  }
  if (fields.length > 0) throw GatewayError.validation(fields);

  const body: IzDeviceRequest = { method: command.name as IzRequestMethod, uri: uri as string };
  if (typeof accept === 'string') body.accept = accept;
  if (typeof contentType === 'string') body['content-type'] = contentType;
  if (typeof payload === 'string') body['payload-b64'] = Buffer.from(payload, 'utf8').toString('base64');
  const options: IzDeviceRequestOptions = {};
  if (typeof retry === 'number') options.retry = retry;
  if (typeof expiry === 'number') options['expiry-seconds'] = expiry;
  return { asyncId: command.id, body, options };
}

/** The Command devicegate answers once the vendor accepted a device request (202): queued until a channel reports. */
export function mapQueuedCommand(command: SendCommandInput, deviceId: string, plan: DeviceRequestPlan, now: number, ctx: MapContext): Command {
  const at = new Date(now).toISOString();
  return {
    object: 'command',
    id: toUnifiedId(ctx.connectionId, command.id),
    device_id: toUnifiedId(ctx.connectionId, deviceId),
    name: command.name,
    params: command.params,
    status: 'queued',
    created_at: at,
    updated_at: at,
    native: { 'async-id': plan.asyncId, ...plan.options, request: plan.body },
  };
}
