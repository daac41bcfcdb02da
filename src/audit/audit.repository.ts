import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { AuditEntry } from './audit-entry.entity';

/** Every column but the generated `seq`. */
/** Rows per INSERT: well under SQLite's limit of 32,766 parameters. */
const INSERT_CHUNK = 500;

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

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/** All SQL about the audit log (table `audit_entries`). */
@Injectable()
export class AuditRepository {
  private built?: { rows: EntityRows<AuditEntry>; where: string; page: string; count: string };

  constructor(private readonly db: DatabaseService) {}

  /** Built on first use: entity metadata exists once the data source is up. */
  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, AuditEntry);
      const where = `${rows.column('merchant_id')} = ? AND ${rows.column('customer_id')} = ?`;
      this.built = {
        rows,
        where,
        page: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where} ORDER BY ${rows.column('seq')} DESC LIMIT ? OFFSET ?`,
        count: `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${where}`,
      };
    }
    return this.built;
  }

  /** Queues the INSERT of the entries (one per INSERT_CHUNK) in the transaction of the changes they record. */
  insert(tx: SqlTransaction, entries: NewAuditEntry[]): void {
    for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
      const insert = this.sql.rows.insert(INSERTED, entries.slice(i, i + INSERT_CHUNK));
      tx.defer(insert.sql, insert.params);
    }
  }

  /** One customer's entries, newest first, and how many there are. */
  async page(
    merchantId: string,
    customerId: string,
    skip: number,
    take: number,
  ): Promise<{ entries: AuditEntry[]; total: number }> {
    const { rows, page, count } = this.sql;
    const [found, counted] = await Promise.all([
      this.db.query(page, [merchantId, customerId, take, skip]),
      this.db.query<{ n: number | string }[]>(count, [merchantId, customerId]),
    ]);
    return { entries: found.map((r) => rows.hydrate(r)), total: Number(counted[0].n) };
  }
}
