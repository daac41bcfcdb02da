import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal';

/** What a request carries into the service: who is calling, and how to label the change it makes. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  idempotencyKey: string | null;
  /** Set when this request owns an idempotency key: its response is stored with the change. */
  idempotency: IdempotentWrite | null;
}

/**
 * A request that claimed an idempotency key. The write stores its response in the change's own
 * transaction (`stored` then turns true), so a change is never committed without the response a
 * retry must replay.
 */
export interface IdempotentWrite {
  merchantId: string;
  key: string;
  /** The status the route answers with on success (200, or 201 for a v0 create). */
  successStatus: number;
  stored: boolean;
}

export interface AppRequest extends FastifyRequest {
  principal?: Principal;
  idempotency?: IdempotentWrite;
}

export const Ctx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<AppRequest>();
  if (!req.principal) throw new Error('Ctx used on a route without authentication');
  const key = req.headers['idempotency-key'];
  return {
    principal: req.principal,
    requestId: req.id,
    idempotencyKey: typeof key === 'string' ? key : null,
    idempotency: req.idempotency ?? null,
  };
});
