import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import { PUBLIC_ROUTE } from '../auth/auth.decorators';
import type { AppRequest } from '../common/app-request';
import { RateLimitStoreUnavailable } from './rate-limit-store';

const COUNTS_ITEMS = 'rate-limit:counts-items';
/** The most a request can count: past it the route refuses the body anyway. */
const MAX_COUNT = 500;

/** A route whose body's `items` each count as one request against the key's limit (bulk routes). */
export const CountsItems = () => SetMetadata(COUNTS_ITEMS, true);

/** Counts per API key (it runs after ApiKeyGuard); routes without a key are not limited. */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]))
      return true;
    return super.shouldSkip(context);
  }

  /**
   * One budget per key for the whole API. The throttler's own key adds the controller and the
   * handler, which would give every route its own RATE_LIMIT_PER_MINUTE.
   */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return createHash('sha256').update(`${name}-${tracker}`).digest('hex');
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as AppRequest;
    return r.principal ? `key:${r.principal.clientKey}` : `ip:${r.ip}`;
  }

  /**
   * A request that counts its items adds all but one of them to the key's counter first; the
   * throttler then counts the last one and answers as for any request (headers, or 429 when the
   * items did not fit, in which case nothing runs).
   *
   * Redis away: the request goes through without rate-limit headers (the store has logged and
   * counted it). A limit that cannot be counted must not take the API down.
   */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    try {
      const extra = this.count(props.context) - 1;
      if (extra > 0) {
        const { req } = this.getRequestResponse(props.context);
        const tracker = await props.getTracker(req, props.context);
        const key = props.generateKey(props.context, tracker, props.throttler.name ?? 'default');
        await Promise.all(
          Array.from({ length: extra }, () =>
            this.storageService.increment(
              key,
              props.ttl,
              props.limit,
              props.blockDuration,
              props.throttler.name ?? 'default',
            ),
          ),
        );
      }
      return await super.handleRequest(props);
    } catch (err) {
      if (err instanceof RateLimitStoreUnavailable) return true;
      throw err;
    }
  }

  private count(context: ExecutionContext): number {
    if (!this.reflector.get<boolean>(COUNTS_ITEMS, context.getHandler())) return 1;
    const body = context.switchToHttp().getRequest<AppRequest>().body as { items?: unknown } | undefined;
    const items = body?.items;
    return Array.isArray(items) ? Math.min(Math.max(items.length, 1), MAX_COUNT) : 1;
  }
}
