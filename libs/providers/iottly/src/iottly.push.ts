import { isObject, bearerToken, pushHeader, secretMatches, type Message, type PushRequest, type PushSupport } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { keyMessages, mapMessage, parseVendorTime } from './iottly.mapper.js';
import type { IottlyMessage } from './iottly.types.js';

/**
 * iottly webhooks (reference §6) post `{"msg": {...device message...}}` with up to five custom headers
 * and no signature. devicegate expects one of those headers to carry the connection's push secret, as
 * `Authorization: Bearer <secret>` or `X-Devicegate-Secret: <secret>`. The "send only payload" option
 * drops the device id, so such webhooks are refused. The message id is derived exactly as for the
 * paginated messages API, so a push and a later list read name the same message.
 */
export const IOTTLY_PUSH_AUTHENTICATION = 'A custom webhook header carries the push secret: `Authorization: Bearer <push secret>` (or `X-Devicegate-Secret`); the body is `{"msg": …}`.';

export function verifyIottlyPush(request: PushRequest, secret: string): boolean {
  return secretMatches(bearerToken(request) ?? pushHeader(request, 'x-devicegate-secret'), secret);
}

export function parseIottlyPush(body: unknown, connectionId: string): Message[] {
  const invalid = (name: string, message: string) => GatewayError.validation([{ name, message }], 'The push is not an iottly webhook message.');
  if (!isObject(body) || !isObject(body.msg)) throw invalid('msg', "must be an object (the webhook body is {\"msg\": …}; 'send only payload' webhooks are not supported)");
  const msg = body.msg as IottlyMessage;
  if (typeof msg.from !== 'string' || msg.from.length === 0) throw invalid('msg.from', 'must be the device id');
  if (parseVendorTime(msg.timestamp) === undefined) throw invalid('msg.timestamp', 'must be a time');
  const [keyed] = keyMessages(msg.from, [msg]);
  return [mapMessage(keyed, connectionId, msg.from)];
}

export const iottlyPush: PushSupport = {
  authentication: IOTTLY_PUSH_AUTHENTICATION,
  verify: (request, { secret }) => secret !== undefined && verifyIottlyPush(request, secret),
  parse: (body, connectionId) => parseIottlyPush(body, connectionId),
};
