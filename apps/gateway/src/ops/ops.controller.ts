import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ConnectionStatus } from '@devicegate/core';
import { Public } from '../auth/auth.decorators.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.types.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { GatewayMetrics } from './metrics.js';
import { OpenApiDocument } from '../openapi/openapi-document.js';

/** Operational endpoints outside `/v1`: no key needed (API.md §2.1). */
@ApiExcludeController()
@Public()
@Controller()
export class OpsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    private readonly openapi: OpenApiDocument,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness with connection counts by status; each connection by name only when the operator chose to expose names. */
  @Get('readyz')
  readyz() {
    const all = this.registry.all();
    const statuses: Record<ConnectionStatus, number> = { ok: 0, degraded: 0, unavailable: 0, unknown: 0 };
    for (const live of all) statuses[this.registry.status(live)] += 1;
    const summary = { status: 'ready', sandbox: this.config.sandbox, connection_count: all.length, connection_statuses: statuses };
    if (!this.config.server.exposeNames) return summary;
    return {
      ...summary,
      connections: all.map((live) => ({
        id: live.config.id,
        provider: live.config.provider,
        status: this.registry.status(live),
        last_ok_at: live.health.lastOkAt === null ? null : new Date(live.health.lastOkAt).toISOString(),
        last_failure_at: live.health.lastFailureAt === null ? null : new Date(live.health.lastFailureAt).toISOString(),
        last_failure_type: live.health.lastFailureType,
      })),
    };
  }

  @Get('metrics')
  async metricsText(@Res() reply: FastifyReply): Promise<void> {
    reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }

  @Get('openapi.json')
  openapiJson() {
    return this.openapi.document;
  }

  @Get('openapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  openapiYaml() {
    return this.openapi.yaml;
  }
}
