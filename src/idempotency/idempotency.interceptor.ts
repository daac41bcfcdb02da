import {
  BadRequestException,
  CallHandler,
  ConflictException,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { catchError, finalize, from, mergeMap, Observable } from 'rxjs';
import { errorResponse, StoredResponse } from '../common/all-exceptions.filter';
import type { AppRequest } from '../common/app-request';
import { PRESENTER, Presenter, STORED_ANSWER } from '../common/presenter';
import { MetricsService } from '../metrics/metrics.service';
import type { OwnedKey } from './idempotency.repository';
import { fingerprint, IdempotencyService } from './idempotency.service';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** Outcomes a retry must be able to run again: never stored (README, "Idempotency keys"). */
function storable(status: number): boolean {
  return status < 500 && status !== 400 && status !== 401 && status !== 429;
}

/**
 * `idempotency-key` on POST, PUT, PATCH and DELETE: the first request runs and its response is
 * stored; a repeat within 24 hours gets that response back with `Idempotent-Replayed: true` and
 * runs nothing. Runs after authentication (keys are per merchant) and before validation, so a
 * body that fails validation releases the key instead of storing a 400.
 *
 * The owner's success is stored inside the write's own transaction, through the request's
 * before-commit step and the route's presenter (see presenter.ts): the change and the response a
 * retry replays commit together. Errors, and routes that make no change, are stored afterwards.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AppRequest>();
    const res = context.switchToHttp().getResponse<FastifyReply>();
    const header = req.headers['idempotency-key'];
    if (!MUTATING.has(req.method) || header === undefined || !req.principal) return next.handle();
    if (typeof header !== 'string' || !VALID_KEY.test(header)) {
      throw new BadRequestException(['idempotency-key must be 1-255 printable ASCII characters']);
    }
    const merchantId = req.principal.merchantId;
    const print = fingerprint(req.method, req.url.split('?')[0], req.body);
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (req.method === 'POST' ? 201 : 200);
    const present = this.reflector.getAllAndOverride<Presenter | undefined>(PRESENTER, [
      context.getHandler(),
      context.getClass(),
    ]);
    const redact = this.reflector.get<((body: unknown) => unknown) | undefined>(
      STORED_ANSWER,
      context.getHandler(),
    );

    return from(this.idempotency.claim(merchantId, header, print)).pipe(
      mergeMap((claim) => {
        switch (claim.kind) {
          case 'mismatch':
            throw new UnprocessableEntityException(
              'This idempotency-key was already used with a different request (method, path or body)',
            );
          case 'in_flight': {
            const err = new ConflictException('A request with this idempotency-key is still in progress');
            Object.assign(err, { headers: { 'Retry-After': String(claim.retryAfterSeconds) } });
            throw err;
          }
          case 'replay': {
            const headers: Record<string, string> = { 'Idempotent-Replayed': 'true' };
            if (claim.answer.etag) headers.ETag = claim.answer.etag;
            this.metrics.idempotencyReplays.inc();
            throw new StoredResponse(claim.answer.status, claim.answer.body, headers);
          }
          case 'owner':
            return this.runAsOwner(req, res, next, claim.owned, status, present, redact);
        }
      }),
    );
  }

  private runAsOwner(
    req: AppRequest,
    res: FastifyReply,
    next: CallHandler,
    owned: OwnedKey,
    status: number,
    present: Presenter | undefined,
    redact: ((body: unknown) => unknown) | undefined,
  ): Observable<unknown> {
    let storedWithChange = false;
    if (present) {
      req.beforeCommit = async (tx, result) => {
        const { body, etag } = present(result as never);
        await this.idempotency.storeIn(tx, owned, { status, body, etag });
        storedWithChange = true;
      };
    }
    const stopHeartbeat = this.idempotency.keepAlive(owned);
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        if (!storedWithChange) {
          const etag = res.getHeader('ETag');
          await this.idempotency.store(owned, {
            status,
            body: redact ? redact(body) : body,
            etag: typeof etag === 'string' ? etag : null,
          });
        }
        return body;
      }),
      catchError(async (err: unknown) => {
        const out = errorResponse(err, req.id);
        try {
          if (storable(out.status)) {
            await this.idempotency.store(owned, { status: out.status, body: out.body, etag: null });
          } else {
            await this.idempotency.release(owned);
          }
        } catch {
          // The database is likely away too: the key's lease frees it later. The client must see
          // the original error, not this one.
        }
        throw err;
      }),
      finalize(stopHeartbeat),
    );
  }
}
