import type { Filter } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import type { ClientConfig } from '../config/config.types.js';
import { mayReach, type ConnectionRegistry, type LiveConnection } from '../connections/connection-registry.js';

const connectionOf = (id: string): string => (id.includes(':') ? id.slice(0, id.indexOf(':')) : '');
const values = (filter: Filter): string[] => (Array.isArray(filter.value) ? filter.value : [String(filter.value)]);

/**
 * The connections a list must read: those the client may reach, narrowed by `connection_id`,
 * `provider` and `id` filters. Naming a connection the client may not reach is a 404, exactly
 * as for one that does not exist (API.md §2.2).
 */
export function connectionsForList(registry: ConnectionRegistry, client: ClientConfig, filters: readonly Filter[], idFields: readonly string[] = ['id']): LiveConnection[] {
  const known = new Set(registry.ids);
  for (const filter of filters) {
    if (filter.op !== 'eq' && filter.op !== 'in') continue;
    const named = filter.field === 'connection_id' ? values(filter) : idFields.includes(filter.field) ? values(filter).map(connectionOf) : [];
    for (const connectionId of named) {
      if (!known.has(connectionId) || !mayReach(client, connectionId)) {
        throw new GatewayError('not_found', `The filter '${filter.param}' names a connection that does not exist.`);
      }
    }
  }
  return registry.visibleTo(client).filter((live) =>
    filters.every((filter) => {
      const id = live.config.id;
      const provider = live.config.provider;
      switch (`${filter.field}:${filter.op}`) {
        case 'connection_id:eq':
        case 'connection_id:in':
          return values(filter).includes(id);
        case 'connection_id:neq':
        case 'connection_id:nin':
          return !values(filter).includes(id);
        case 'provider:eq':
        case 'provider:in':
          return values(filter).includes(provider);
        case 'provider:neq':
        case 'provider:nin':
          return !values(filter).includes(provider);
        case 'id:eq':
        case 'id:in':
          return idFields.includes('id') ? values(filter).some((v) => connectionOf(v) === id) : true;
        default:
          return true;
      }
    }),
  );
}
