import { Controller, Get, HttpCode, Inject, Injectable, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { requireUnifiedId, type CallContext, type Command } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdempotencyKey, ApiIdParam, V1Operation } from '../common/api.decorators.js';
import { present } from '../common/list-response.js';
import { Ctx } from '../common/request.decorators.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { CommandDto, SendCommandDto } from './command.dto.js';
import { COMMAND_STORE, type CommandStore } from './command-store.js';
import { ValidBody } from '../common/validation.js';

@Injectable()
export class CommandsService {
  constructor(
    private readonly registry: ConnectionRegistry,
    @Inject(COMMAND_STORE) private readonly store: CommandStore,
  ) {}

  async send(client: ClientConfig, deviceId: string, body: SendCommandDto, ctx: CallContext): Promise<Command> {
    const command = await this.registry.call(client, deviceId, 'sendCommand', { id: randomUUID(), name: body.name, params: body.params ?? {} }, ctx);
    await this.store.record(command);
    return shown(command);
  }

  /** The vendor's state where it can be asked, else what devicegate recorded (with what the vendor pushed since). */
  async get(client: ClientConfig, deviceId: string, commandId: string, ctx: CallContext): Promise<Command> {
    const live = this.registry.locate(client, deviceId);
    const command = requireUnifiedId(commandId);
    if (command.connectionId !== live.config.id) throw new GatewayError('not_found', 'No command has this id.');
    const known = await this.store.get(commandId);
    if (known && known.device_id !== deviceId) throw new GatewayError('not_found', 'No command has this id.');
    // The vendor is asked where it keeps commands; elsewhere the gateway's record is the answer.
    if (this.registry.supports(live, 'commands.get') && typeof live.adapter.getCommand === 'function') {
      let fresh: Command;
      try {
        fresh = await this.registry.call(client, deviceId, 'getCommand', command.nativeId, ctx);
      } catch (error) {
        // A command the vendor keeps no record of (it answered the send without one) is as recorded.
        if (known && error instanceof GatewayError && error.type === 'not_found') return shown(known);
        throw error;
      }
      // The caller's own name and params, not the vendor's rendering of them.
      const merged = known ? { ...fresh, name: known.name, params: known.params } : fresh;
      await this.store.record(merged);
      return shown(merged);
    }
    if (!known) throw new GatewayError('not_found', 'No command has this id.');
    return shown(known);
  }
}

/** A command as answered: `result` is null until a vendor reports the device's answer. */
const shown = (command: Command): Command => ({ ...present(command, false), result: command.result ?? null });

@ApiTags('commands')
@Controller('v1/devices/:device_id/commands')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post()
  @HttpCode(202)
  @V1Operation({
    operationId: 'sendDeviceCommand', capability: 'commands.send',
    summary: 'Send a command to a device',
    description:
      'Queues a command at the vendor and answers 202 with the Command. HARDWARIO: `downlink` (params: JSON object), `config` (`params.lines`), `shell` (`params.commands`). iottly: `name` is a message type of the project; each param is sent under it. Izuma: `GET`/`PUT`/`POST`/`DELETE` with `params.uri` (LwM2M path), `params.payload`, `params.content_type`. Blynk: `trigger_event` (`params.event_code`, `params.description`), `set_datastream` (`params.datastream_id`, `params.value`). Disruptive Technologies answers 501.',
    scope: 'commands',
    errors: [409, 413, 415, 501],
  })
  @ApiIdempotencyKey()
  @ApiIdParam('device_id', 'Unified device id `<connection_id>:<native id>`.', 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f')
  @ApiAcceptedResponse({ description: 'The queued command.', type: CommandDto })
  sendDeviceCommand(@CurrentClient() client: ClientConfig, @Param('device_id') deviceId: string, @ValidBody() body: SendCommandDto, @Ctx() ctx: CallContext) {
    return this.commands.send(client, deviceId, body, ctx);
  }

  @Get(':command_id')
  @V1Operation({
    operationId: 'getDeviceCommand', capability: 'commands.get',
    summary: 'Get a command',
    description:
      "What is known of a command: the vendor's state where it can be asked (HARDWARIO downlink state), otherwise the status devicegate recorded, updated by what the vendor pushed since (Izuma device-request results from the notification channel). Sent commands are kept for 7 days by the gateway, shared by every instance when `server.redis_url` is set, so any instance answers for a command sent through another.",
    scope: 'read',
  })
  @ApiIdParam('device_id', 'Unified device id `<connection_id>:<native id>`.', 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f')
  @ApiIdParam('command_id', 'Unified command id, as sendDeviceCommand answered it.', 'sandbox-hardwario:018eebc0-1a2b-7c3d-8e4f-5a6b7c8d9e0f')
  @ApiOkResponse({ description: 'The command.', type: CommandDto })
  getDeviceCommand(@CurrentClient() client: ClientConfig, @Param('device_id') deviceId: string, @Param('command_id') commandId: string, @Ctx() ctx: CallContext) {
    return this.commands.get(client, deviceId, commandId, ctx);
  }
}
