import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import type { ProviderRegistry } from '@devicegate/core';
import { ListingEngine } from '@devicegate/listing';
import { BearerAuthGuard } from './auth/auth.guard.js';
import { BearerStrategy } from './auth/bearer.strategy.js';
import { ClientThrottlerGuard } from './auth/client-throttler.guard.js';
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
      imports: [
        PassportModule,
        // A window that holds `burst` requests at `per_second` on average.
        ThrottlerModule.forRoot({ throttlers: [{ ttl: Math.max(1000, Math.round((burst / perSecond) * 1000)), limit: burst }] }),
      ],
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
        { provide: APP_GUARD, useClass: ClientThrottlerGuard },
      ],
    };
  }
}
