import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppRequest } from '../common/request-context';
import { PUBLIC_ROUTE, REQUIRED_SCOPES } from './auth.decorators';
import { AuthService } from './auth.service';

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
    const principal = await this.auth.authenticate(req.headers);
    req.principal = principal;

    const required =
      this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ??
      (req.method === 'GET' ? ['customers:read'] : ['customers:write']);
    const missing = required.filter((s) => !principal.scopes.has(s));
    if (missing.length > 0) {
      throw new ForbiddenException(`This API key lacks the scope ${missing.join(', ')}`);
    }
    return true;
  }
}
