import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction, WriteResult } from '../database/sql-transaction';
import { IdempotencyKey } from './idempotency-key.entity';

/** A response kept for replays. */
export interface StoredAnswer {
  status: number;
  body: unknown;
  etag: string | null;
}

/** All SQL about stored idempotency keys (table `idempotency_keys`), one row per (merchant, key). */
@Injectable()
export class IdempotencyRepository {
  private built?: { rows: EntityRows<IdempotencyKey>; key: string };

  constructor(private readonly db: DatabaseService) {}

  /** Built on first use: entity metadata exists once the data source is up. */
  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, IdempotencyKey);
      this.built = { rows, key: `${rows.column('merchant_id')} = ? AND ${rows.column('idem_key')} = ?` };
    }
    return this.built;
  }

  /** Inserts a new in-flight key; fails with a unique violation when the key exists. */
  async insert(row: IdempotencyKey): Promise<void> {
    const insert = this.sql.rows.insert(this.sql.rows.properties, [row]);
    await this.db.query(insert.sql, insert.params);
  }

  async find(merchantId: string, key: string): Promise<IdempotencyKey | null> {
    const { rows, key: where } = this.sql;
    const found = await this.db.query(`SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where}`, [
      merchantId,
      key,
    ]);
    return found.length > 0 ? rows.hydrate(found[0]) : null;
  }

  /** Moves an in-flight key's lease from `from` to `to`; false if another request moved it first. */
  async takeOver(merchantId: string, key: string, from: Date, to: Date): Promise<boolean> {
    const { rows, key: where } = this.sql;
    const set = rows.assignments({ locked_until: to });
    const res = await this.db.query<WriteResult>(
      `UPDATE ${rows.table} SET ${set.sql} WHERE ${where} AND ${rows.column('state')} = ? AND ${rows.column('locked_until')} = ?`,
      [...set.params, merchantId, key, 'in_flight', ...rows.values({ locked_until: from })],
    );
    return res.affectedRows === 1;
  }

  /** Queues, in the caller's transaction, the answer of a key still in flight. */
  completeIn(tx: SqlTransaction, merchantId: string, key: string, answer: StoredAnswer): void {
    const statement = this.complete(merchantId, key, answer);
    tx.defer(statement.sql, statement.params);
  }

  /** Stores the answer of a key still in flight, on its own. */
  async completeNow(merchantId: string, key: string, answer: StoredAnswer): Promise<void> {
    const statement = this.complete(merchantId, key, answer);
    await this.db.query(statement.sql, statement.params);
  }

  /** Deletes an in-flight key, or (given createdAt) that exact row whatever its state. */
  async delete(merchantId: string, key: string, createdAt?: Date): Promise<void> {
    const { rows, key: where } = this.sql;
    const extra = createdAt
      ? { sql: `${rows.column('created_at')} = ?`, params: rows.values({ created_at: createdAt }) }
      : { sql: `${rows.column('state')} = ?`, params: ['in_flight'] };
    await this.db.query(`DELETE FROM ${rows.table} WHERE ${where} AND ${extra.sql}`, [
      merchantId,
      key,
      ...extra.params,
    ]);
  }

  /** Deletes every key that expired before `now`; how many. */
  async deleteExpired(now: Date): Promise<number> {
    const { rows } = this.sql;
    const res = await this.db.query<WriteResult>(
      `DELETE FROM ${rows.table} WHERE ${rows.column('expires_at')} < ?`,
      rows.values({ expires_at: now }),
    );
    return res.affectedRows;
  }

  private complete(merchantId: string, key: string, answer: StoredAnswer) {
    const { rows, key: where } = this.sql;
    const set = rows.assignments({
      state: 'done',
      response_status: answer.status,
      response_body: JSON.stringify(answer.body ?? null),
      response_etag: answer.etag,
    });
    return {
      sql: `UPDATE ${rows.table} SET ${set.sql} WHERE ${where} AND ${rows.column('state')} = ?`,
      params: [...set.params, merchantId, key, 'in_flight'],
    };
  }
}
