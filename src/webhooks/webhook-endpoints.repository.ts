import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { WebhookEndpoint, WebhookSurface } from './webhook-endpoint.entity';
import type { Subscriber } from './webhook-events';

/** All SQL about webhook endpoints (table `webhook_endpoints`). */
@Injectable()
export class WebhookEndpointsRepository {
  private built?: {
    rows: EntityRows<WebhookEndpoint>;
    lockMerchant: string;
    countLive: string;
    subscribers: string;
    findOne: string;
    page: string;
    count: string;
    failing: string;
    succeeded: string;
    endPause: string;
    disable: string;
  };

  constructor(private readonly db: DatabaseService) {}

  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, WebhookEndpoint);
      const c = (p: keyof WebhookEndpoint) => rows.column(p);
      const live = `${c('merchant_id')} = ? AND ${c('surface')} = ? AND ${c('deleted_at')} IS NULL`;
      const one = `${c('merchant_id')} = ? AND ${c('id')} = ?`;
      this.built = {
        rows,
        // Creating endpoints of one merchant runs one at a time, so the limit per merchant holds.
        lockMerchant: `SELECT id FROM merchants WHERE id = ?${this.db.dialect.forUpdate}`,
        countLive: `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('deleted_at')} IS NULL`,
        // Disabled endpoints too: their deliveries wait for them to be enabled again.
        subscribers: `SELECT ${(['id', 'surface', 'events', 'paused_until', 'disabled_at'] as const).map(c).join(', ')} FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('deleted_at')} IS NULL`,
        findOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${one}`,
        page: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${live} ORDER BY ${c('created_at')} DESC, ${c('id')} LIMIT ? OFFSET ?`,
        count: `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${live}`,
        // Only an endpoint not paused already: the failures of one burst (the attempts in flight together) pause it once.
        failing: `UPDATE ${rows.table} SET ${c('failing_since')} = COALESCE(${c('failing_since')}, ?), ${c('paused_until')} = ? WHERE ${one} AND (${c('paused_until')} IS NULL OR ${c('paused_until')} <= ?)`,
        succeeded: `UPDATE ${rows.table} SET ${c('failing_since')} = NULL, ${c('paused_until')} = NULL WHERE ${one} AND (${c('failing_since')} IS NOT NULL OR ${c('paused_until')} IS NOT NULL)`,
        endPause: `UPDATE ${rows.table} SET ${c('paused_until')} = NULL WHERE ${one} AND ${c('paused_until')} IS NOT NULL`,
        disable: `UPDATE ${rows.table} SET ${c('disabled_at')} = ?, ${c('disabled_reason')} = ?, ${c('updated_at')} = ? WHERE ${one} AND ${c('disabled_at')} IS NULL AND ${c('deleted_at')} IS NULL AND ${c('failing_since')} <= ?`,
      };
    }
    return this.built;
  }

  /** Locks the merchant's row until the transaction ends: endpoint creations of one merchant queue on it. */
  async lockMerchant(tx: SqlTransaction, merchantId: string): Promise<void> {
    await tx.query(this.sql.lockMerchant, [merchantId]);
  }

  /** Live endpoints of the merchant on both surfaces (the limit counts them all). */
  async countLive(tx: SqlTransaction, merchantId: string): Promise<number> {
    const rows = await tx.query<{ n: number | string }[]>(this.sql.countLive, [merchantId]);
    return Number(rows[0].n);
  }

  /**
   * The merchant's endpoints that may receive events (not deleted), read in the change's
   * transaction: an endpoint whose creation commits after this read misses the change, as it
   * would if it had been created a moment later.
   */
  async subscribers(tx: SqlTransaction, merchantId: string): Promise<Subscriber[]> {
    const found = await tx.query<Record<string, unknown>[]>(this.sql.subscribers, [merchantId]);
    return found.map((r) => this.sql.rows.hydrate(r) as Subscriber);
  }

  insert(tx: SqlTransaction, endpoint: WebhookEndpoint): void {
    const { rows } = this.sql;
    const insert = rows.insert(rows.properties, [endpoint]);
    tx.defer(insert.sql, insert.params);
  }

  /** One endpoint of the merchant, deleted ones included. */
  async findOne(merchantId: string, id: string): Promise<WebhookEndpoint | null> {
    const found = await this.db.query(this.sql.findOne, [merchantId, id]);
    return found.length ? this.sql.rows.hydrate(found[0]) : null;
  }

  /** A surface's live endpoints, newest first, and how many there are. */
  async page(
    merchantId: string,
    surface: WebhookSurface,
    skip: number,
    take: number,
  ): Promise<{ rows: WebhookEndpoint[]; total: number }> {
    const [found, counted] = await Promise.all([
      this.db.query(this.sql.page, [merchantId, surface, take, skip]),
      this.db.query<{ n: number | string }[]>(this.sql.count, [merchantId, surface]),
    ]);
    return { rows: found.map((r) => this.sql.rows.hydrate(r)), total: Number(counted[0].n) };
  }

  /** Sets the given fields of one endpoint; whether it was there. */
  async update(merchantId: string, id: string, values: Partial<WebhookEndpoint>): Promise<boolean> {
    const set = this.sql.rows.assignments(values);
    const { table } = this.sql.rows;
    const sql = `UPDATE ${table} SET ${set.sql} WHERE ${this.sql.rows.column('merchant_id')} = ? AND ${this.sql.rows.column('id')} = ?`;
    const res = await this.db.query<{ affectedRows: number }>(sql, [...set.params, merchantId, id]);
    return res.affectedRows > 0;
  }

  /** Sets the given fields of one endpoint unless it is deleted; whether it was there and live. */
  async updateLive(merchantId: string, id: string, values: Partial<WebhookEndpoint>): Promise<boolean> {
    const set = this.sql.rows.assignments(values);
    const c = (p: keyof WebhookEndpoint) => this.sql.rows.column(p);
    const sql = `UPDATE ${this.sql.rows.table} SET ${set.sql} WHERE ${c('merchant_id')} = ? AND ${c('id')} = ? AND ${c('deleted_at')} IS NULL`;
    const res = await this.db.query<{ affectedRows: number }>(sql, [...set.params, merchantId, id]);
    return res.affectedRows > 0;
  }

  /**
   * A failed attempt: unless the endpoint is paused already, it is failing since now (unless it
   * already was) and paused until `until`. Whether this failure paused it.
   */
  async markFailing(merchantId: string, id: string, now: Date, until: Date): Promise<boolean> {
    const [since, pause] = this.sql.rows.values({ failing_since: now, paused_until: until });
    const [at] = this.sql.rows.values({ paused_until: now });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.failing, [
      since,
      pause,
      merchantId,
      id,
      at,
    ]);
    return res.affectedRows > 0;
  }

  async markSucceeded(merchantId: string, id: string): Promise<void> {
    await this.db.query(this.sql.succeeded, [merchantId, id]);
  }

  /** Ends the endpoint's pause now (a redelivery asked for), keeping when it began failing. */
  async endPause(merchantId: string, id: string): Promise<void> {
    await this.db.query(this.sql.endPause, [merchantId, id]);
  }

  /** Disables the endpoint if it has been failing since `failingBefore` or earlier; whether it did. */
  async disableIfFailingSince(
    merchantId: string,
    id: string,
    failingBefore: Date,
    now: Date,
    reason: string,
  ): Promise<boolean> {
    const [at, before] = this.sql.rows.values({ disabled_at: now, failing_since: failingBefore });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.disable, [
      at,
      reason,
      at,
      merchantId,
      id,
      before,
    ]);
    return res.affectedRows > 0;
  }
}
