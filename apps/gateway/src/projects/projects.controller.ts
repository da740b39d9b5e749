import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CallContext } from '@devicegate/core';
import { parseListArgs, PROJECT_FIELDS } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdParam, ApiListQuery, V1Operation } from '../common/api.decorators.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { listRoute } from '../common/direct-routes.js';
import { ProjectDto, ProjectListDto } from './project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @V1Operation({
    operationId: 'listProjects', capability: 'projects.list',
    summary: 'List projects',
    description:
      'The projects of every connection this key may reach: the HARDWARIO space, each Disruptive Technologies project, the iottly project, the Izuma account, the Blynk organization. Ordered by connection id, then by the vendor\'s own order.',
    scope: 'read',
  })
  @ApiListQuery(PROJECT_FIELDS, 'ASC', 'Projects are ordered by connection id, then by the vendor\'s own stable order; DESC reverses both.')
  @ApiOkResponse({ description: 'A page of projects.', type: ProjectListDto })
  listProjects(@CurrentClient() client: ClientConfig, @RawQuery() query: Record<string, string | string[] | undefined>, @Ctx() ctx: CallContext) {
    return this.projects.list(client, parseListArgs(query, { fields: PROJECT_FIELDS, defaultOrder: 'ASC' }), ctx);
  }

  @Get(':project_id')
  @V1Operation({ operationId: 'getProject', capability: 'projects.get', summary: 'Get a project', description: 'One project by its unified id.', scope: 'read' })
  @ApiIdParam('project_id', 'Unified project id `<connection_id>:<native id>`.', 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3')
  @ApiOkResponse({ description: 'The project.', type: ProjectDto })
  getProject(@CurrentClient() client: ClientConfig, @Param('project_id') projectId: string, @Ctx() ctx: CallContext) {
    return this.projects.get(client, projectId, ctx);
  }
}

/** listProjects is served outside Nest's router (common/direct-routes.ts), its answer shared between identical requests in flight. */
export const listProjectsRoute = listRoute(ProjectsController, 'listProjects', '/v1/projects', (controller, client, query, ctx) => controller.listProjects(client, query, ctx));
