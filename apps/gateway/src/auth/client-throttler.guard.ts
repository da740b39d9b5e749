import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ClientConfig } from '../config/config.types.js';
import { PUBLIC_KEY } from './auth.decorators.js';

/** Rate limits `/v1` calls per client key; operational routes are not limited. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const client = request.user as ClientConfig | undefined;
    return client ? `client:${client.name}` : `ip:${String(request.ip)}`;
  }
}
