import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import type { ProviderRegistry } from '@devicegate/core';
import { ListingEngine } from '@devicegate/listing';
import { BearerAuthGuard } from './auth/auth.guard.js';
import { BearerStrategy } from './auth/bearer.strategy.js';
import { MemoryRateLimitStore } from './auth/rate-limit.js';
import { RATE_LIMIT_STORE, RateLimitGuard } from './auth/rate-limit.guard.js';
import { CommandsController, CommandsService } from './commands/commands.controller.js';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/config.types.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { ConnectionsController } from './connections/connections.controller.js';
import { ConnectionsService } from './connections/connections.service.js';
import { PROVIDER_REGISTRY } from './connections/connections.tokens.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { MessagesController, MessagesService } from './messages/messages.controller.js';
import { OpenApiDocument } from './openapi/openapi-document.js';
import { GatewayMetrics } from './ops/metrics.js';
import { OpsController } from './ops/ops.controller.js';
import { PassthroughController, PassthroughService } from './passthrough/passthrough.controller.js';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';

/** Wires configuration, authentication, throttling and the `/v1` resources. */
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, providers: ProviderRegistry): DynamicModule {
    const { perSecond, burst } = config.server.rateLimit;
    return {
      module: AppModule,
      imports: [PassportModule],
      controllers: [OpsController, ConnectionsController, ProjectsController, DevicesController, MessagesController, CommandsController, PassthroughController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: PROVIDER_REGISTRY, useValue: providers },
        { provide: ListingEngine, useValue: new ListingEngine() },
        ConnectionRegistry,
        ConnectionsService,
        ProjectsService,
        DevicesService,
        MessagesService,
        CommandsService,
        PassthroughService,
        GatewayMetrics,
        OpenApiDocument,
        BearerStrategy,
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: RATE_LIMIT_STORE, useValue: new MemoryRateLimitStore(perSecond, burst) },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
