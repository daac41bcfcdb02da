import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../common/request-context';
import { DatabaseService } from '../database/database.service';
import { AuditAction, AuditEntry, FieldChanges } from './audit-entry.entity';

/** The audit log. Entries are written only through a caller's transaction, with the change they record. */
@Injectable()
export class AuditService {
  constructor(private readonly db: DatabaseService) {}

  async record(
    em: EntityManager,
    ctx: RequestContext,
    customerId: string,
    entries: { action: AuditAction; changes: FieldChanges }[],
    at: Date,
  ): Promise<void> {
    if (entries.length === 0) return;
    await em.insert(
      AuditEntry,
      entries.map((e) => ({
        id: randomUUID(),
        merchant_id: ctx.principal.merchantId,
        customer_id: customerId,
        action: e.action,
        changes: e.changes,
        actor: ctx.principal.clientKey,
        request_id: ctx.requestId,
        idempotency_key: ctx.idempotencyKey,
        created_at: at,
      })) as QueryDeepPartialEntity<AuditEntry>[],
    );
  }

  /** One customer's entries, newest first. */
  async list(
    merchantId: string,
    customerId: string,
    skip: number,
    take: number,
  ): Promise<{ entries: AuditEntry[]; total: number }> {
    const [entries, total] = await this.db.read((em) =>
      em.findAndCount(AuditEntry, {
        where: { merchant_id: merchantId, customer_id: customerId },
        order: { seq: 'DESC' },
        skip,
        take,
      }),
    );
    return { entries, total };
  }
}
