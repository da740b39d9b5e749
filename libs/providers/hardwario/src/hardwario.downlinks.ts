import { isObject, toUnifiedId, type Command, type CommandStatus, type SendCommandInput } from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { toIso } from './hardwario.mapper.js';
import type { HwDownlinkEndpoint, HwDownState, HwMessage } from './hardwario.types.js';

/** Commands are HARDWARIO downlinks: what a command is sent as, and what its downlink message says of it. */

/** Downlink delivery state → command status: pending → queued, sent → sent, cancelled → failed. */
export function commandStatus(state: HwDownState | null | undefined): CommandStatus | undefined {
  switch (state) {
    case 'pending':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'cancelled':
      return 'failed';
    default:
      return undefined;
  }
}

/** The contract command name of a downlink message type (the inverse of the three endpoints). */
export function commandName(nativeType: string | null | undefined): string {
  switch (nativeType) {
    case 'config':
      return 'config';
    case 'shell':
      return 'shell';
    default:
      return 'downlink';
  }
}

/** The command params a downlink message carries: the object itself, or its lines/commands. */
export function commandParams(name: string, body: unknown): Record<string, unknown> {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      value = body;
    }
  }
  if (name === 'config') return { lines: Array.isArray(value) ? value : [] };
  if (name === 'shell') return { commands: Array.isArray(value) ? value : [] };
  return isObject(value) ? value : {};
}

export interface CommandMapContext {
  connectionId: string;
  deviceId: string;
  /** What devicegate recorded when the command was sent, if anything. */
  known?: Command;
}

/** A Command from the downlink message that carries it. */
export function mapCommand(message: HwMessage, ctx: CommandMapContext): Command {
  const name = ctx.known?.name ?? commandName(message.type);
  const created = toIso(message.created_at);
  return {
    object: 'command',
    id: toUnifiedId(ctx.connectionId, message.id),
    device_id: toUnifiedId(ctx.connectionId, message.device_id ?? ctx.deviceId),
    name,
    params: ctx.known?.params ?? commandParams(name, message.body),
    status: commandStatus(message.down_state) ?? ctx.known?.status ?? 'unknown',
    created_at: created ?? ctx.known?.created_at ?? null,
    updated_at: toIso(message.down_state_at) ?? created ?? ctx.known?.updated_at ?? null,
    native: message,
  };
}

const stringList = (value: unknown, name: string, fields: FieldError[]): string[] => {
  if (!Array.isArray(value) || value.length === 0) {
    fields.push({ name, message: 'must be a non-empty array of strings' });
    return [];
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') fields.push({ name: `${name}[${i}]`, message: 'must be a non-empty string' });
  });
  return value as string[];
};

/**
 * The vendor endpoint and body of a command, validated before any call:
 * `downlink` (params = the JSON object) → `/downlinks`, `config` (`params.lines`) → `/configs`,
 * `shell` (`params.commands`) → `/commands`.
 */
export function downlinkRequest(command: Pick<SendCommandInput, 'name' | 'params'>): [HwDownlinkEndpoint, unknown] {
  const fields: FieldError[] = [];
  const params = isObject(command.params) ? command.params : {};
  const onlyKey = (key: string) => {
    for (const other of Object.keys(params)) if (other !== key) fields.push({ name: `params.${other}`, message: `is not accepted by the '${command.name}' command` });
  };
  let result: [HwDownlinkEndpoint, unknown] | undefined;
  switch (command.name) {
    case 'downlink':
      if (!isObject(command.params) || Object.keys(command.params).length === 0) fields.push({ name: 'params', message: 'must be a non-empty JSON object (the downlink payload)' });
      result = ['downlinks', params];
      break;
    case 'config': {
      const lines = stringList(params.lines, 'params.lines', fields);
      // The cloud saves the configuration itself; HARDWARIO's docs say never to send `config save`.
      lines.forEach((line, i) => {
        if (typeof line === 'string' && /^\s*config\s+save\s*$/i.test(line)) fields.push({ name: `params.lines[${i}]`, message: "must not be 'config save' (the cloud adds it)" });
      });
      onlyKey('lines');
      result = ['configs', lines];
      break;
    }
    case 'shell':
      onlyKey('commands');
      result = ['commands', stringList(params.commands, 'params.commands', fields)];
      break;
    default:
      fields.push({ name: 'name', message: "must be one of 'downlink', 'config', 'shell'" });
  }
  if (fields.length > 0 || !result) throw GatewayError.validation(fields);
  return result;
}

