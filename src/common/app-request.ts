import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';
import type { BeforeCommit, RequestContext } from './request-context';

/** A Fastify request as the guards and interceptors leave it for the route. */
export interface AppRequest extends FastifyRequest {
  /** Set by the API key guard. */
  principal?: Principal;
  /** Set by the idempotency interceptor when this request owns an idempotency key. */
  beforeCommit?: BeforeCommit;
}

/** The route's RequestContext, built from what the guards and interceptors found. */
export const Ctx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<AppRequest>();
  if (!req.principal) throw new Error('Ctx used on a route without authentication');
  const key = req.headers['idempotency-key'];
  return {
    principal: req.principal,
    requestId: req.id,
    idempotencyKey: typeof key === 'string' ? key : null,
    beforeCommit: req.beforeCommit ?? null,
  };
});
