import { Injectable } from '@nestjs/common';
import { requireUnifiedId, type CallContext } from '@devicegate/core';
import { ListingEngine, PROJECT_FIELDS, type ListArgs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import { listBody, present } from '../common/list-response.js';
import { connectionsForList } from '../common/scope-filters.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';
import { requireCapability } from '../connections/connections.service.js';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly listing: ListingEngine,
  ) {}

  async list(client: ClientConfig, args: ListArgs, ctx: CallContext) {
    const segments = connectionsForList(this.registry, client, args.filters).map((live) => ({
      connectionId: live.config.id,
      provider: live.config.provider,
      source: live.adapter.projects,
    }));
    const page = await this.listing.list({ kind: 'projects', reach: reachOf(client), segments, args, fields: PROJECT_FIELDS }, ctx);
    return listBody(page, args, undefined, this.registry.hiddenNativeFields(client));
  }

  async get(client: ClientConfig, projectId: string, ctx: CallContext) {
    const { connectionId, nativeId } = requireUnifiedId(projectId);
    const live = this.registry.resolve(client, connectionId, 'project');
    requireCapability(live, 'projects.get');
    return present(await this.registry.call(live, (adapter) => adapter.getProject(nativeId, ctx)), false);
  }
}
