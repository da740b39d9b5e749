import { Injectable } from '@nestjs/common';
import type { CallContext, ListSource } from '@devicegate/core';
import { ListingEngine, type ListArgs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import { listBody } from '../common/list-response.js';
import { ConnectionRegistry, reachOf, type LiveConnection } from './connection-registry.js';
import type { ConnectionDto } from './connection.dto.js';
import { PullService } from '../realtime/pull.service.js';

/** A URL without its `user:password@`: credentials written into a base URL are still credentials. */
export const withoutUserinfo = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');

/** The Connection object of API.md §3; credentials never appear in it. */
export function connectionView(registry: ConnectionRegistry, live: LiveConnection, pull: PullService): ConnectionDto & { native?: undefined } {
  return {
    object: 'connection',
    id: live.config.id,
    provider: live.config.provider,
    display_name: live.config.display_name,
    base_url: withoutUserinfo(live.config.base_url),
    capabilities: registry.capabilities(live),
    status: registry.status(live),
    circuit: live.http.circuitSnapshot(),
    stream: pull.state(live.config.id),
  };
}

@Injectable()
export class ConnectionsService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly listing: ListingEngine,
    private readonly pull: PullService,
  ) {}

  async list(client: ClientConfig, args: ListArgs, ctx: CallContext) {
    const views = this.registry.visibleTo(client).map((live) => connectionView(this.registry, live, this.pull));
    const source: ListSource<ConnectionDto & { native?: undefined }> = {
      plan: (query) => ({ order: query.order, exactTotal: true }),
      fetchPage: async (query) => ({ items: query.order === 'ASC' ? views : [...views].reverse(), next: null, total: views.length }),
    };
    const page = await this.listing.list({ kind: 'connections', reach: reachOf(client), segments: [{ connectionId: '~connections', provider: 'devicegate', source }], args, fields: {} }, ctx);
    return listBody(page, args);
  }

  get(client: ClientConfig, connectionId: string) {
    return connectionView(this.registry, this.registry.resolve(client, connectionId), this.pull);
  }
}
