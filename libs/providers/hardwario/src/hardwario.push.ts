import { isObject, bearerToken, secretMatches, type Message, type PushRequest, type PushSupport } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { mapMessage } from './hardwario.mapper.js';
import type { HwMessage } from './hardwario.types.js';

/**
 * HARDWARIO connectors (reference §6) post whatever the connector's `main(job)` returns and sign nothing.
 * devicegate expects the transformation the reference recommends — `{"message": job.message, "device":
 * job.device, "connector": job.connector}` — and the connection's push secret as
 * `Authorization: Bearer <secret>` in the returned `header`. The message id is HARDWARIO's own, the same
 * as `GET …/messages` answers, so a connector's retries and a later list read name the same message.
 */
export const HARDWARIO_PUSH_AUTHENTICATION = 'The connector transformation sets `Authorization: Bearer <push secret>` and posts `{"message": job.message, "device": job.device}`.';

export function verifyHardwarioPush(request: PushRequest, secret: string): boolean {
  return secretMatches(bearerToken(request), secret);
}

const invalid = (message: string) => GatewayError.validation([{ name: 'body', message }], 'The push is not a HARDWARIO connector job.');

/** One connector job (`{message, device}`) or a list of them → Messages. */
export function parseHardwarioPush(body: unknown, connectionId: string): Message[] {
  const jobs = Array.isArray(body) ? body : [body];
  return jobs.map((job, index) => {
    const at = Array.isArray(body) ? `[${index}]` : '';
    if (!isObject(job) || !isObject(job.message) || !isObject(job.device)) throw invalid(`${at}must be an object with 'message' and 'device' (the connector job)`);
    const message = job.message;
    const deviceId = job.device.id;
    if (typeof message.id !== 'string' || message.id.length === 0) throw invalid(`${at}message.id must be a string`);
    if (typeof deviceId !== 'string' || deviceId.length === 0) throw invalid(`${at}device.id must be a string`);
    // Older jobs named the direction `link_type` and the time `created_time` (reference §6).
    const createdAt = message.created_at ?? message.created_time;
    if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalid(`${at}message.created_at must be a date-time`);
    const direction = message.direction ?? message.link_type;
    const wire: HwMessage = {
      id: message.id,
      created_at: createdAt,
      device_id: deviceId,
      device_name: typeof job.device.name === 'string' ? job.device.name : null,
      device_serial_number: typeof job.device.serial_number === 'string' ? job.device.serial_number : null,
      type: typeof message.type === 'string' ? message.type : null,
      direction: direction === 'down' ? 'down' : 'up',
      body: message.body,
    };
    return mapMessage(wire, { connectionId, deviceId });
  });
}

export const hardwarioPush: PushSupport = {
  authentication: HARDWARIO_PUSH_AUTHENTICATION,
  verify: (request, { secret }) => secret !== undefined && verifyHardwarioPush(request, secret),
  parse: (body, connectionId) => parseHardwarioPush(body, connectionId),
};
