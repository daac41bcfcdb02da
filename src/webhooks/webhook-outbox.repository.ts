import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { WebhookOutboxRow } from './webhook-outbox.entity';

/** All SQL about the narrow outbox (table `webhook_outbox`; webhook-outbox.ts moves it). */
@Injectable()
export class WebhookOutboxRepository {
  private built?: {
    rows: EntityRows<WebhookOutboxRow>;
    any: string;
    head: string;
    remove: string;
    backlog: string;
  };

  constructor(private readonly db: DatabaseService) {}

  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, WebhookOutboxRow);
      const c = (p: keyof WebhookOutboxRow) => rows.column(p);
      this.built = {
        rows,
        any: `SELECT 1 AS x FROM ${rows.table} LIMIT 1`,
        // Locked (MySQL) so that one mover at a time takes the head: another waits for its COMMIT,
        // then finds these rows gone and takes the next ones. Deliveries keep the outbox's order.
        head: `SELECT ${rows.selectList} FROM ${rows.table} ORDER BY ${c('seq')} LIMIT ?${this.db.dialect.forUpdate}`,
        remove: `DELETE FROM ${rows.table} WHERE ${c('seq')} >= ? AND ${c('seq')} <= ?`,
        backlog: `SELECT COUNT(*) AS n, MIN(${c('created_at')}) AS oldest FROM ${rows.table}`,
      };
    }
    return this.built;
  }

  /** Adds a write's events inside its transaction, sent with its COMMIT. */
  add(tx: SqlTransaction, row: Omit<WebhookOutboxRow, 'seq'>): void {
    const insert = this.sql.rows.insert(['merchant_id', 'created_at', 'events'], [row]);
    tx.defer(insert.sql, insert.params);
  }

  /** Whether anything waits to be moved (a plain read: most polls find nothing). */
  async any(): Promise<boolean> {
    return (await this.db.query<unknown[]>(this.sql.any)).length > 0;
  }

  /** The oldest `limit` rows, locked until `tx` ends. */
  async head(tx: SqlTransaction, limit: number): Promise<WebhookOutboxRow[]> {
    const found = await tx.query(this.sql.head, [limit]);
    return found.map((r) => this.sql.rows.hydrate(r));
  }

  /**
   * Deletes the rows from `first` to `last` (seq), the head just read: no other row can lie
   * between them, as a new row is numbered after every row written before it, and on MySQL the
   * locking read waited for any uncommitted one in that range.
   */
  remove(tx: SqlTransaction, first: string, last: string): void {
    tx.defer(this.sql.remove, [first, last]);
  }

  /** How many writes' events wait to be moved, and since when. */
  async backlog(): Promise<{ waiting: number; oldest: Date | null }> {
    const [row] = await this.db.query<{ n: number | string; oldest: unknown }[]>(this.sql.backlog);
    const oldest =
      row.oldest === null || row.oldest === undefined
        ? null
        : this.sql.rows.hydrate({ created_at: row.oldest }).created_at;
    return { waiting: Number(row.n), oldest };
  }
}
