import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_GUARD } from '@nestjs/core';
import type { ProviderRegistry } from '@devicegate/core';
import { ListingEngine, RedisResumeStore } from '@devicegate/listing';
import { ApiKeyGuard } from './auth/auth.guard.js';
import { ClientKeys } from './auth/client-keys.js';
import { MemoryRateLimitStore } from './auth/rate-limit.js';
import { RedisRateLimitStore } from './auth/redis-rate-limit.store.js';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './idempotency/idempotency.store.js';
import { IDEMPOTENCY_STORE, LOGGER, RATE_LIMIT_STORE, REDIS } from './app.tokens.js';
import type { Logger } from './ops/logger.js';
import { CommandsController, CommandsService } from './commands/commands.controller.js';
import { COMMAND_STORE, MemoryCommandStore, RedisCommandStore } from './commands/command-store.js';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/config.types.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { ConnectionsController } from './connections/connections.controller.js';
import { ConnectionsService } from './connections/connections.service.js';
import { PROVIDER_REGISTRY } from './connections/connections.tokens.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { MessagesController, MessagesService } from './messages/messages.controller.js';
import { ReadingsController, ReadingsService } from './readings/readings.controller.js';
import { OpenApiDocument } from './openapi/openapi-document.js';
import { GatewayMetrics } from './ops/metrics.js';
import { OpsController } from './ops/ops.controller.js';
import { PassthroughController, PassthroughService } from './passthrough/passthrough.controller.js';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';
import { REALTIME_CONTROLLERS, REALTIME_PROVIDERS } from './realtime/realtime.providers.js';
import { TokensController } from './tokens/tokens.controller.js';
import { TokenSigner } from './tokens/token-signer.js';

/** Wires configuration, authentication, throttling and the `/v1` resources. */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  static forRoot(config: GatewayConfig, providers: ProviderRegistry, logger: Logger): DynamicModule {
    const { perSecond, burst } = config.server.rateLimit;
    // One Redis client, when configured, shares rate limits and idempotency records across instances.
    const redis = config.server.redisUrl ? new Redis(config.server.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true }) : null;
    return {
      module: AppModule,
      controllers: [OpsController, ConnectionsController, ProjectsController, DevicesController, MessagesController, ReadingsController, CommandsController, PassthroughController, ...REALTIME_CONTROLLERS, TokensController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: PROVIDER_REGISTRY, useValue: providers },
        { provide: ListingEngine, useValue: new ListingEngine(redis ? { shared: new RedisResumeStore(redis) } : {}) },
        ConnectionRegistry,
        ConnectionsService,
        ProjectsService,
        DevicesService,
        MessagesService,
        ReadingsService,
        CommandsService,
        PassthroughService,
        ...REALTIME_PROVIDERS,
        GatewayMetrics,
        OpenApiDocument,
        ClientKeys,
        TokenSigner,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: REDIS, useValue: redis },
        { provide: LOGGER, useValue: logger },
        { provide: RATE_LIMIT_STORE, useValue: redis ? new RedisRateLimitStore(redis, perSecond, burst) : new MemoryRateLimitStore(perSecond, burst) },
        { provide: IDEMPOTENCY_STORE, useValue: redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore() },
        { provide: COMMAND_STORE, useValue: redis ? new RedisCommandStore(redis) : new MemoryCommandStore() },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit();
  }
}
