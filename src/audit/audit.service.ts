import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../common/request-context';
import { DatabaseService, SqlTransaction } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import { AuditAction, AuditEntry, FieldChanges } from './audit-entry.entity';

/** Every column but the generated `seq`. */
const INSERTED: (keyof AuditEntry)[] = [
  'id',
  'merchant_id',
  'customer_id',
  'action',
  'changes',
  'actor',
  'request_id',
  'idempotency_key',
  'created_at',
];

/** The audit log. Entries are written only through a caller's transaction, with the change they record. */
@Injectable()
export class AuditService {
  /** Plain SQL for the insert every write runs (see EntityRows); built on first use. */
  private rows?: EntityRows<AuditEntry>;

  constructor(private readonly db: DatabaseService) {}

  /** Queues the INSERT of the entries in the caller's transaction, with the change they record. */
  record(
    tx: SqlTransaction,
    ctx: RequestContext,
    customerId: string,
    entries: { action: AuditAction; changes: FieldChanges }[],
    at: Date,
  ): void {
    if (entries.length === 0) return;
    this.rows ??= new EntityRows(this.db.dataSource, AuditEntry);
    const insert = this.rows.insert(
      INSERTED,
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
      })),
    );
    tx.defer(insert.sql, insert.params);
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
