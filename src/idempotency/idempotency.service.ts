import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { canonicalJson } from '../customers/customer-rules';
import type { IdempotentWrite } from '../common/request-context';
import { DatabaseService, SqlTransaction } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import { uniqueViolation } from '../database/db-errors';
import { IdempotencyKey } from './idempotency-key.entity';

/** How long a stored response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

export type Claim =
  | { kind: 'owner' }
  | { kind: 'replay'; status: number; body: unknown; etag: string | null }
  | { kind: 'mismatch' }
  | { kind: 'in_flight'; retryAfterSeconds: number };

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/**
 * Idempotency keys (contract §7), stored per merchant in the database so they hold across
 * several service processes. A key is claimed by inserting its row: the primary key lets exactly
 * one of any number of concurrent requests win.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;
  /** Plain SQL for the in-transaction response store (see EntityRows); built on first use. */
  private rows?: EntityRows<IdempotencyKey>;

  /** How long a key stays "in flight" without its owner finishing: a crashed process frees it after this. */
  private readonly leaseMs: number;

  constructor(
    private readonly db: DatabaseService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseMs = config.idempotencyLeaseMs;
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch((err: Error) => this.logger.warn(`purge failed: ${err.message}`));
    }, PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  async claim(merchantId: string, key: string, print: string, now = new Date()): Promise<Claim> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.db.statement((em) =>
          em.insert(IdempotencyKey, {
            merchant_id: merchantId,
            idem_key: key,
            fingerprint: print,
            state: 'in_flight',
            response_status: null,
            response_body: null,
            response_etag: null,
            locked_until: new Date(now.getTime() + this.leaseMs),
            created_at: now,
            expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
          }),
        );
        return { kind: 'owner' };
      } catch (err) {
        if (!uniqueViolation(err)) throw err;
      }
      const row = await this.db.read((em) =>
        em.findOne(IdempotencyKey, { where: { merchant_id: merchantId, idem_key: key } }),
      );
      if (!row) continue; // purged or released meanwhile: try to claim again
      if (row.expires_at <= now) {
        await this.release(merchantId, key, row.created_at);
        continue;
      }
      if (row.fingerprint !== print) return { kind: 'mismatch' };
      if (row.state === 'done') {
        return {
          kind: 'replay',
          status: row.response_status ?? 200,
          body: row.response_body === null ? null : (JSON.parse(row.response_body) as unknown),
          etag: row.response_etag,
        };
      }
      // The owner is most likely about to finish: ask for a retry in a second, not at lease end.
      if (row.locked_until > now) return { kind: 'in_flight', retryAfterSeconds: 1 };
      // The owner's lease ran out (its process died): take the key over, if nobody else just did.
      const taken = await this.db.statement((em) =>
        em.update(
          IdempotencyKey,
          { merchant_id: merchantId, idem_key: key, state: 'in_flight', locked_until: row.locked_until },
          { locked_until: new Date(now.getTime() + this.leaseMs) },
        ),
      );
      if (taken.affected === 1) return { kind: 'owner' };
    }
    return { kind: 'in_flight', retryAfterSeconds: 1 };
  }

  /**
   * Queues the owner's response in the transaction of the change it answers: the change and the
   * response a retry replays commit together, so a crash between them cannot make a retry run the
   * change a second time.
   */
  storeWith(tx: SqlTransaction, write: IdempotentWrite, body: unknown, etag: string | null): void {
    this.rows ??= new EntityRows(this.db.dataSource, IdempotencyKey);
    const rows = this.rows;
    const set = rows.assignments({
      state: 'done',
      response_status: write.successStatus,
      response_body: JSON.stringify(body ?? null),
      response_etag: etag,
    });
    tx.defer(
      `UPDATE ${rows.table} SET ${set.sql} WHERE ${rows.column('merchant_id')} = ? AND ` +
        `${rows.column('idem_key')} = ? AND ${rows.column('state')} = ?`,
      [...set.params, write.merchantId, write.key, 'in_flight'],
    );
  }

  /** The owner finished outside a customer write: keep its response for replays. */
  async complete(
    merchantId: string,
    key: string,
    status: number,
    body: unknown,
    etag: string | null,
  ): Promise<void> {
    await this.db.statement((em) =>
      em.update(
        IdempotencyKey,
        { merchant_id: merchantId, idem_key: key, state: 'in_flight' },
        {
          state: 'done',
          response_status: status,
          response_body: JSON.stringify(body ?? null),
          response_etag: etag,
        },
      ),
    );
  }

  /** Forget the key, so a retry runs again (validation failures, 5xx, an expired row). */
  async release(merchantId: string, key: string, createdAt?: Date): Promise<void> {
    await this.db.statement((em) =>
      em.delete(IdempotencyKey, {
        merchant_id: merchantId,
        idem_key: key,
        ...(createdAt ? { created_at: createdAt } : { state: 'in_flight' }),
      }),
    );
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const res = await this.db.statement((em) => em.delete(IdempotencyKey, { expires_at: LessThan(now) }));
    return res.affected ?? 0;
  }
}
