import type { Filter, FilterOperator } from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { compileFilters, MESSAGE_FIELDS, parseListArgs, type FieldSpecs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { StoredEvent } from './event-log.js';

const EQ_IN: readonly FilterOperator[] = ['eq', 'neq', 'in', 'nin'];

/** The message filters (API.md §4) plus the fields that say where a message comes from. */
export const EVENT_FIELDS: FieldSpecs = {
  ...MESSAGE_FIELDS,
  connection_id: { kind: 'string', ops: EQ_IN },
  provider: { kind: 'string', ops: EQ_IN },
  device_id: { kind: 'string', ops: EQ_IN },
};

/** List arguments that mean nothing for a stream or a subscription. */
const LIST_ONLY = ['limit', 'after', 'order', 'include', 'partial'];

/**
 * Validates event filters given as query parameters (`type__in=data,status`); `prefix` names them in
 * errors (`filters.type__in` for a webhook body). Every bad one is named, as for lists.
 */
export function parseEventFilters(params: Record<string, string | string[] | undefined>, prefix = ''): Filter[] {
  const errors: FieldError[] = LIST_ONLY.filter((name) => params[name] !== undefined).map((name) => ({ name: `${prefix}${name}`, message: 'is not a filter of events' }));
  const rest = Object.fromEntries(Object.entries(params).filter(([name]) => !LIST_ONLY.includes(name)));
  try {
    const filters = parseListArgs(rest, { fields: EVENT_FIELDS, defaultOrder: 'ASC' }).filters;
    if (errors.length === 0) return filters;
  } catch (error) {
    if (!(error instanceof GatewayError) || !error.fields) throw error;
    errors.push(...error.fields.map((field) => ({ ...field, name: `${prefix}${field.name}` })));
  }
  throw GatewayError.validation(errors, errors.length === 1 ? `The parameter '${errors[0].name}' is invalid.` : 'One or more parameters are invalid.');
}

/**
 * The connections whose events a client may see under these filters. A filter naming a connection the
 * client may not reach is a 404, exactly as for lists (API.md §2.2).
 */
export function visibleConnections(registry: ConnectionRegistry, client: ClientConfig, filters: readonly Filter[]): ReadonlySet<string> {
  return new Set(registry.reachable(client, filters, ['device_id']).map((live) => live.config.id));
}

/** A predicate over stored events: in one of the connections, and matching every filter. */
export function eventMatcher(connections: ReadonlySet<string>, filters: readonly Filter[]): (event: StoredEvent) => boolean {
  const matches = compileFilters(EVENT_FIELDS, filters);
  return (event) => connections.has(event.connectionId) && matches(event.message);
}
