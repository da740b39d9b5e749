import { Controller, Inject, Injectable, Param, Post, Put, Req, Res, type OnApplicationShutdown } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { applyDeclaredUnits, backgroundContext, type Message, type PushSupport, type PushVerification } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { LOGGER } from '../app.tokens.js';
import { COMMAND_STORE, type CommandStore } from '../commands/command-store.js';
import { Public } from '../auth/auth.decorators.js';
import { ApiErrors, ApiIdParam } from '../common/api.decorators.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import type { Logger } from '../ops/logger.js';
import { PushReceiptDto } from './dto/webhook.dto.js';
import { EventLog } from './event-log.js';
import { HookRefusals } from './hook-refusals.js';
import { rawBodyOf } from './raw-body.js';

/** One answer for every refused push: which check failed is not told to whoever sent it. */
const refused = () => new GatewayError('invalid_auth', 'The push could not be authenticated for this connection.');

@Injectable()
export class HooksService implements OnApplicationShutdown {
  /**
   * Reads vendors' public signing keys. Not the connection's client: the keys live on another host
   * (DT's identity service), whose failures must not count against the vendor API's budget or circuit.
   */
  private readonly publicDocuments = new HttpClient({
    baseUrl: 'http://unused.invalid',
    timeoutMs: 10_000,
    retries: 1,
    connectionId: 'push-keys',
    provider: 'push-keys',
    maxResponseBytes: 1024 * 1024,
  });

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly store: EventLog,
    private readonly refusals: HookRefusals,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(COMMAND_STORE) private readonly commands: CommandStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publicDocuments.close();
  }

  /** Checks a vendor push (the connection's secret, or the vendor's signature), then stores its messages; nothing is stored from a refused push. */
  async receive(connectionId: string, request: FastifyRequest): Promise<PushReceiptDto> {
    const live = this.registry.all().find((candidate) => candidate.config.id === connectionId);
    const push = live?.definition.push;
    const settings = live?.config.push;
    // A connection in pull mode takes its events from the stream devicegate holds, never from /v1/hooks.
    if (!live || !push || !settings || settings.mode === 'pull') {
      this.refusals.refused(request.ip);
      throw refused();
    }
    const rawBody = rawBodyOf(request);
    const verification: PushVerification = {
      secret: settings.secret,
      settings: live.config.settings,
      now: Date.now(),
      fetchJson: (url) => this.fetchPublicJson(connectionId, url),
    };
    if (!(await push.verify({ method: request.method, headers: request.headers, rawBody, body: request.body }, verification))) {
      this.log.warn({ reqId: request.id, connection: connectionId }, 'vendor push refused: bad or missing signature');
      this.refusals.refused(request.ip);
      throw refused();
    }
    const { received, accepted } = await this.accept(push, request.body, connectionId, Date.now());
    this.log.debug({ reqId: request.id, connection: connectionId, received, accepted }, 'vendor push stored');
    return { object: 'push_receipt', connection_id: connectionId, received, accepted };
  }

  /**
   * Stores a vendor body, pushed or pulled from a stream devicegate holds, as events (parsed by the
   * provider's push support, de-duplicated by message id) and settles the commands it reports on. Throws
   * `validation_error` for a body not in the vendor's format.
   */
  async accept(push: PushSupport, body: unknown, connectionId: string, receivedAt: number): Promise<{ received: number; accepted: number }> {
    const units = this.registry.all().find((live) => live.config.id === connectionId)?.config.readings?.units;
    const parsed: Message[] = push.parse(body, connectionId, receivedAt);
    const messages = units ? parsed.map((message) => applyDeclaredUnits(message, units)) : parsed;
    for (const outcome of push.commandOutcomes?.(body, connectionId, receivedAt) ?? []) await this.commands.settle(outcome);
    const added = await this.store.append(messages, connectionId, receivedAt);
    this.registry.invalidateReads(connectionId);
    return { received: messages.length, accepted: added.length };
  }

  /** A vendor's public document (signing keys): a GET with a timeout and no credentials. */
  private async fetchPublicJson(connectionId: string, url: string): Promise<unknown> {
    const response = await this.publicDocuments.request({ method: 'GET', path: url }, backgroundContext(`push-keys:${connectionId}`));
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }
}

const HOOK_DESCRIPTION = `Where a vendor cloud pushes its messages, in the vendor's own format. No client key: the push is authenticated the way the vendor can prove it, with the connection's \`push.secret\` or the vendor's published keys (the connection needs a \`push\` block either way):

- **hardwario** (connector): the transformation posts \`{"message": job.message, "device": job.device}\` with \`Authorization: Bearer <secret>\`.
- **disruptive** (data connector, HTTP_PUSH): \`Dt-Asymmetric-Signature\` (ES256 JWT from DT's data-connector issuer, checked with the keys of its OIDC discovery document, for the connection's \`organization_id\`, over the body's SHA-256) is verified, expiry included; \`push.secret\` is optional. A connector with the deprecated \`signatureSecret\` also sends \`X-Dt-Signature\` (HS256 with that secret), accepted when \`push.secret\` is that secret.
- **iottly** (webhook): a custom header \`Authorization: Bearer <secret>\` (or \`X-Devicegate-Secret\`); body \`{"msg": …}\`.
- **izuma** (notification channel callback, HTTP PUT): registered with the header \`authorization: <secret>\`; body a NotificationMessage. Register it with \`include_uid\` and \`include_timestamp\`.
- **blynk** has no documented push; its pushes are refused (in pull mode devicegate samples its values instead).

A connection in pull mode (\`push: {mode: pull}\`, DT and Izuma: devicegate holds the vendor's stream itself and needs no public address) takes no pushes: they answer 401.

Each message becomes an Event (see \`GET /v1/events\`) with the message id as its stable id: a repeated push is accepted again but stored once. The answer comes after the events are stored durably. A push that fails the check answers 401 and nothing of it is stored.

A body nested more than 64 levels deep is refused with 400 before it is parsed. Each source address may have \`server.refused_hooks_per_minute\` pushes refused (60 by default, in a burst, refilled at that rate); past that, everything it sends is answered 429 \`rate_limited\` with \`Retry-After\`, before its body is read.`;

const PUSH_EXAMPLES = {
  hardwario: {
    summary: 'HARDWARIO connector job',
    value: {
      message: { id: '018eebbe-678d-7c60-b4ef-d141f48378e8', type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { thermometer: { temperature: 22.43 } } },
      device: { id: '018a1535-fd39-7293-bd36-52df3e62e962', name: 'my-device', serial_number: '2159020389' },
    },
  },
  disruptive: {
    summary: 'Disruptive Technologies data connector push',
    value: {
      event: {
        eventId: 'cpbg96qngr7ai7ldarrg',
        targetName: 'projects/ccol8iuk9smqiha4e8l0/devices/emucdd6ef2eu277bo8f52vg',
        eventType: 'temperature',
        data: { temperature: { value: 27, updateTime: '2024-05-29T10:34:03.970415Z' } },
        timestamp: '2024-05-29T10:34:03.970415Z',
      },
      labels: { name: 'test temp' },
      metadata: { deviceId: 'emucdd6ef2eu277bo8f52vg', projectId: 'ccol8iuk9smqiha4e8l0', deviceType: 'temperature', productNumber: '' },
    },
  },
  iottly: {
    summary: 'iottly webhook',
    value: { msg: { from: '4c8a0b1e-51a1-4bb5-9a77-1e0f62f6c0a1', to: '59c19cacecc01400075f3bc9', timestamp: '2024-04-17T11:08:27.917', devicetimestamp: '2024-04-17T11:08:27', type: 'userdefined', payload: { temperature: 21.5 } } },
  },
  izuma: {
    summary: 'Izuma notification message',
    value: { notifications: [{ ep: '01767982c9250000000000010011579e', path: '/3303/0/5700', ct: 'text/plain', payload: 'MjEuNQ==', 'max-age': 0, uid: '0d8e08c3-2311-4ede-aa53-fdaff2b3fad3', timestamp: 1614180566644 }] },
  },
};

@ApiTags('hooks')
@Controller('v1/hooks')
export class HooksController {
  constructor(private readonly hooks: HooksService) {}

  @Post(':connection_id')
  @Public()
  @ApiOperation({ operationId: 'receivePush', summary: 'Receive a vendor push', description: HOOK_DESCRIPTION, security: [] })
  @ApiIdParam('connection_id', 'The connection the vendor account belongs to.', 'sandbox-hardwario')
  @ApiBody({ description: "The vendor's push, unchanged.", schema: { type: 'object', additionalProperties: true }, examples: PUSH_EXAMPLES })
  @ApiAcceptedResponse({ description: 'Stored; the events are on their way to the stream and webhooks.', type: PushReceiptDto })
  @ApiErrors(400, 401, 413, 415, 429, 500)
  receivePush(@Param('connection_id') connectionId: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.status(202);
    return this.hooks.receive(connectionId, request);
  }

  /** Izuma delivers notification batches with PUT and accepts only 200 or 204 as success. */
  @Put(':connection_id')
  @Public()
  @ApiOperation({ operationId: 'receivePushPut', summary: 'Receive a vendor push (PUT)', description: 'The same as `receivePush`, for vendors that deliver with PUT (the Izuma notification channel, which takes only 200 or 204 as success): answers 200.', security: [] })
  @ApiIdParam('connection_id', 'The connection the vendor account belongs to.', 'sandbox-izuma')
  @ApiBody({ description: "The vendor's push, unchanged.", schema: { type: 'object', additionalProperties: true } })
  @ApiOkResponse({ description: 'Stored.', type: PushReceiptDto })
  @ApiErrors(400, 401, 413, 415, 429, 500)
  receivePushPut(@Param('connection_id') connectionId: string, @Req() request: FastifyRequest) {
    return this.hooks.receive(connectionId, request);
  }
}
