import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CallContext } from '@devicegate/core';
import { parseListArgs } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdParam, ApiListQuery, V1Operation } from '../common/api.decorators.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { listRoute } from '../common/direct-routes.js';
import { ConnectionDto, ConnectionListDto } from './connection.dto.js';
import { ConnectionsService } from './connections.service.js';

@ApiTags('connections')
@Controller('v1/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @V1Operation({
    operationId: 'listConnections',
    summary: 'List connections',
    description: 'The configured vendor accounts this key may reach, ordered by id, with their capabilities and health. Lists take no filters.',
    scope: 'read',
  })
  @ApiListQuery({}, 'ASC', 'Connections are ordered by id.')
  @ApiOkResponse({ description: 'A page of connections.', type: ConnectionListDto })
  listConnections(@CurrentClient() client: ClientConfig, @RawQuery() query: Record<string, string | string[] | undefined>, @Ctx() ctx: CallContext) {
    return this.connections.list(client, parseListArgs(query, { fields: {}, defaultOrder: 'ASC' }), ctx);
  }

  @Get(':connection_id')
  @V1Operation({ operationId: 'getConnection', summary: 'Get a connection', description: 'One connection: provider, vendor base URL, capabilities and health. Credentials are never shown.', scope: 'read' })
  @ApiIdParam('connection_id', 'The connection id.', 'sandbox-hardwario')
  @ApiOkResponse({ description: 'The connection.', type: ConnectionDto })
  getConnection(@CurrentClient() client: ClientConfig, @Param('connection_id') connectionId: string) {
    return this.connections.get(client, connectionId);
  }
}

/** listConnections is served outside Nest's router (common/direct-routes.ts), its answer shared between identical requests in flight. */
export const listConnectionsRoute = listRoute(ConnectionsController, 'listConnections', '/v1/connections', (controller, client, query, ctx) => controller.listConnections(client, query, ctx));
