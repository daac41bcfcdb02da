import { Injectable } from '@nestjs/common';
import type { AuditRecord } from '../audit/audit.service';
import type { RequestContext } from '../common/request-context';
import type { SqlTransaction } from '../database/sql-transaction';
import type { Customer } from './customer.entity';

/** One committed-to-be change of a customer: who made it, the customer after it, and its audit entries. */
export interface CustomerChange {
  ctx: RequestContext;
  customer: Customer;
  audit: AuditRecord[];
}

/**
 * Something that must commit with every change of a customer, whatever made it (either HTTP
 * surface, a bulk request, the import CLI): it runs inside the change's transaction, after the
 * changes and their audit entries and before the COMMIT, so what it writes (say, an outbox event)
 * exists if and only if the change does. It must not wait on anything outside the database.
 *
 * It receives the changes of one merchant that commit together: one for a single write, the
 * whole batch for a bulk request or an import batch, so a step that reads (say, the merchant's
 * webhook endpoints) reads once per transaction, not once per customer.
 */
export type CustomerChangeStep = (tx: SqlTransaction, changes: readonly CustomerChange[]) => Promise<void>;

/**
 * The customer write path's before-commit steps that other modules add (webhook events, for
 * one), so the customers module does not import them. A no-op write (nothing changed) runs none.
 */
@Injectable()
export class CustomerChanges {
  private readonly steps: CustomerChangeStep[] = [];

  /** Adds a step to every customer change from now on (call it from onModuleInit). */
  beforeCommit(step: CustomerChangeStep): void {
    this.steps.push(step);
  }

  async run(tx: SqlTransaction, changes: readonly CustomerChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (const step of this.steps) await step(tx, changes);
  }
}
