import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppRequest } from '../common/app-request';
import { PUBLIC_ROUTE, REQUIRED_SCOPE } from './auth.decorators';
import { AuthService } from './auth.service';

const CREDENTIAL_HEADERS = ['authorization', 'x-client-key', 'x-client-secret'];

/**
 * Node keeps only the first of two Authorization headers (and joins repeated x-client-* ones), while
 * a proxy in front may have checked the other: a request naming two credentials is ambiguous, so it
 * is refused rather than resolved by a guess.
 */
function repeatsCredentials(req: AppRequest): boolean {
  return CREDENTIAL_HEADERS.some((h) => (req.raw.headersDistinct[h]?.length ?? 0) > 1);
}

/** Global guard: every route needs a valid key unless marked @Public(); then the route's scopes. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const req = context.switchToHttp().getRequest<AppRequest>();
    if (repeatsCredentials(req)) throw new UnauthorizedException('Invalid API credentials');
    const principal = await this.auth.authenticate(req.headers);
    req.principal = principal;

    // A route may name its scope (the webhook routes); otherwise reads need customers:read and
    // every other method customers:write (customers:reactivate is checked by the status rule itself).
    const required =
      this.reflector.getAllAndOverride<string | undefined>(REQUIRED_SCOPE, targets) ??
      (req.method === 'GET' ? 'customers:read' : 'customers:write');
    if (!principal.scopes.has(required)) {
      throw new ForbiddenException(`This API key lacks the scope ${required}`);
    }
    return true;
  }
}
