import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';

/** What a request carries into the service: who is calling, and how to label the change it makes. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  idempotencyKey: string | null;
}

export interface AppRequest extends FastifyRequest {
  principal?: Principal;
}

export const Ctx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<AppRequest>();
  if (!req.principal) throw new Error('Ctx used on a route without authentication');
  const key = req.headers['idempotency-key'];
  return {
    principal: req.principal,
    requestId: req.id,
    idempotencyKey: typeof key === 'string' ? key : null,
  };
});
