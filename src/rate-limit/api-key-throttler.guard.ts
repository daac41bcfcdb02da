import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import { PUBLIC_ROUTE } from '../auth/auth.decorators';
import type { AppRequest } from '../common/app-request';
import { RateLimitStoreUnavailable } from './rate-limit-store';

/** Counts per API key (it runs after ApiKeyGuard); routes without a key are not limited. */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]))
      return true;
    return super.shouldSkip(context);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as AppRequest;
    return r.principal ? `key:${r.principal.clientKey}` : `ip:${r.ip}`;
  }

  /**
   * Redis away: the request goes through without rate-limit headers (the store has logged and
   * counted it). A limit that cannot be counted must not take the API down.
   */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(props);
    } catch (err) {
      if (err instanceof RateLimitStoreUnavailable) return true;
      throw err;
    }
  }
}
