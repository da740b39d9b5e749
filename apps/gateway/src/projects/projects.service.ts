import { Injectable } from '@nestjs/common';
import type { CallContext } from '@devicegate/core';
import { ListingEngine, PROJECT_FIELDS, type ListArgs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import { listBody, present } from '../common/list-response.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly listing: ListingEngine,
  ) {}

  async list(client: ClientConfig, args: ListArgs, ctx: CallContext) {
    const segments = this.registry.lists(client, 'projects', args.filters);
    const page = await this.listing.list({ kind: 'projects', reach: reachOf(client), segments, args, fields: PROJECT_FIELDS }, ctx);
    return listBody(page, args, undefined, this.registry.hiddenNativeFields(client));
  }

  async get(client: ClientConfig, projectId: string, ctx: CallContext) {
    return present(await this.registry.call(client, projectId, 'getProject', ctx), false);
  }
}
