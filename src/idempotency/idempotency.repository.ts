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

/** A key as one request owns it: only the holder of `owner` may renew, answer or release it. */
export interface OwnedKey {
  merchantId: string;
  key: string;
  owner: string;
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

  /**
   * Gives an in-flight key whose lease ended at `from` to a new owner until `to`; false if another
   * request took it first.
   */
  async takeOver(
    merchantId: string,
    key: string,
    from: Date,
    owned: { owner: string; until: Date },
  ): Promise<boolean> {
    const { rows, key: where } = this.sql;
    const set = rows.assignments({ owner: owned.owner, locked_until: owned.until });
    const res = await this.db.query<WriteResult>(
      `UPDATE ${rows.table} SET ${set.sql} WHERE ${where} AND ${rows.column('state')} = ? AND ${rows.column('locked_until')} = ?`,
      [...set.params, merchantId, key, 'in_flight', ...rows.values({ locked_until: from })],
    );
    return res.affectedRows === 1;
  }

  /** Extends the owner's lease; false once the key is no longer this owner's. */
  async renew(owned: OwnedKey, until: Date): Promise<boolean> {
    const { rows } = this.sql;
    const set = rows.assignments({ locked_until: until });
    const res = await this.db.query<WriteResult>(
      `UPDATE ${rows.table} SET ${set.sql} WHERE ${this.ownedWhere()}`,
      [...set.params, ...this.ownedParams(owned)],
    );
    return res.affectedRows === 1;
  }

  /**
   * Stores the owner's answer in the caller's transaction, sent at once (not deferred) so its row
   * count can be read before the COMMIT: false when the key is no longer this owner's.
   */
  async completeIn(tx: SqlTransaction, owned: OwnedKey, answer: StoredAnswer): Promise<boolean> {
    const statement = this.complete(owned, answer);
    return (await tx.query<WriteResult>(statement.sql, statement.params)).affectedRows === 1;
  }

  /** Stores the owner's answer on its own. */
  async completeNow(owned: OwnedKey, answer: StoredAnswer): Promise<void> {
    const statement = this.complete(owned, answer);
    await this.db.query(statement.sql, statement.params);
  }

  /** Deletes the owner's in-flight key. */
  async deleteOwned(owned: OwnedKey): Promise<void> {
    const { rows } = this.sql;
    await this.db.query(`DELETE FROM ${rows.table} WHERE ${this.ownedWhere()}`, this.ownedParams(owned));
  }

  /** Deletes that exact row (an expired key), whatever its state. */
  async deleteExpiredKey(merchantId: string, key: string, createdAt: Date): Promise<void> {
    const { rows, key: where } = this.sql;
    await this.db.query(`DELETE FROM ${rows.table} WHERE ${where} AND ${rows.column('created_at')} = ?`, [
      merchantId,
      key,
      ...rows.values({ created_at: createdAt }),
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

  private ownedWhere(): string {
    const { rows, key } = this.sql;
    return `${key} AND ${rows.column('state')} = ? AND ${rows.column('owner')} = ?`;
  }

  private ownedParams(owned: OwnedKey): unknown[] {
    return [owned.merchantId, owned.key, 'in_flight', owned.owner];
  }

  private complete(owned: OwnedKey, answer: StoredAnswer) {
    const { rows } = this.sql;
    const set = rows.assignments({
      state: 'done',
      response_status: answer.status,
      response_body: JSON.stringify(answer.body ?? null),
      response_etag: answer.etag,
    });
    return {
      sql: `UPDATE ${rows.table} SET ${set.sql} WHERE ${this.ownedWhere()}`,
      params: [...set.params, ...this.ownedParams(owned)],
    };
  }
}
