import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../common/request-context';
import type { SqlTransaction } from '../database/sql-transaction';
import { AuditAction, AuditEntry, FieldChanges } from './audit-entry.entity';
import { AuditRepository } from './audit.repository';

export interface AuditRecord {
  action: AuditAction;
  changes: FieldChanges;
}

/** The entries of one change of one customer, dated as the change. */
export interface ChangeRecords {
  customerId: string;
  records: AuditRecord[];
  at: Date;
}

/**
 * The audit log. Entries are written only through a caller's transaction, with the change they
 * record, and say who made it: the API key, the request id and the idempotency key.
 */
@Injectable()
export class AuditService {
  constructor(private readonly entries: AuditRepository) {}

  /** Queues the entries of one or more changes, in the order given, in the caller's transaction. */
  record(tx: SqlTransaction, ctx: RequestContext, changes: ChangeRecords[]): void {
    this.entries.insert(
      tx,
      changes.flatMap(({ customerId, records, at }) =>
        records.map((e) => ({
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
      ),
    );
  }

  /** One customer's entries, newest first. */
  list(
    merchantId: string,
    customerId: string,
    skip: number,
    take: number,
  ): Promise<{ entries: AuditEntry[]; total: number }> {
    return this.entries.page(merchantId, customerId, skip, take);
  }
}
