import { createHash, randomUUID } from 'node:crypto';
import { ConflictException, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { canonicalJson } from '../common/canonical-json';
import { uniqueViolation } from '../database/db-errors';
import type { SqlTransaction } from '../database/sql-transaction';
import { IdempotencyRepository, OwnedKey, StoredAnswer } from './idempotency.repository';

/** How long a stored response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

export const TAKEN_OVER =
  'This request outlived the lease on its idempotency-key and a retry took the key over; nothing was changed';

export type Claim =
  | { kind: 'owner'; owned: OwnedKey }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'mismatch' }
  | { kind: 'in_flight'; retryAfterSeconds: number };

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/**
 * Idempotency keys (README, "Idempotency keys and concurrency"), stored per merchant in the
 * database so they hold across several service processes. A key is claimed by inserting its row:
 * the primary key lets exactly one of any number of concurrent requests win. The owner's answer
 * is stored in the transaction of the change it answers (`storeIn`), or on its own (`store`) when
 * there was no change.
 *
 * The owner holds a short lease (IDEMPOTENCY_LEASE_MS) that a heartbeat renews while it works
 * (`keepAlive`), so the key of a process that died is free again within one lease. Each claim
 * writes a new owner token, and every write of the owner checks it: a request that stalled past
 * its lease while a retry took the key over cannot commit its change (`storeIn` refuses it inside
 * the change's transaction).
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;

  /** How long a key stays "in flight" without its owner finishing: a crashed process frees it after this. */
  private readonly leaseMs: number;

  constructor(
    private readonly keys: IdempotencyRepository,
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
    const owned: OwnedKey = { merchantId, key, owner: randomUUID() };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.keys.insert({
          merchant_id: merchantId,
          idem_key: key,
          fingerprint: print,
          state: 'in_flight',
          response_status: null,
          response_body: null,
          response_etag: null,
          owner: owned.owner,
          locked_until: new Date(now.getTime() + this.leaseMs),
          created_at: now,
          expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        });
        return { kind: 'owner', owned };
      } catch (err) {
        if (!uniqueViolation(err)) throw err;
      }
      const row = await this.keys.find(merchantId, key);
      if (!row) continue; // purged or released meanwhile: try to claim again
      if (row.expires_at <= now) {
        await this.keys.deleteExpiredKey(merchantId, key, row.created_at);
        continue;
      }
      if (row.fingerprint !== print) return { kind: 'mismatch' };
      if (row.state === 'done') {
        return {
          kind: 'replay',
          answer: {
            status: row.response_status ?? 200,
            body: row.response_body === null ? null : (JSON.parse(row.response_body) as unknown),
            etag: row.response_etag,
          },
        };
      }
      // The owner is most likely about to finish: ask for a retry in a second, not at lease end.
      if (row.locked_until > now) return { kind: 'in_flight', retryAfterSeconds: 1 };
      // The owner's lease ran out (its process died): take the key over, if nobody else just did.
      const until = new Date(now.getTime() + this.leaseMs);
      if (await this.keys.takeOver(merchantId, key, row.locked_until, { owner: owned.owner, until }))
        return { kind: 'owner', owned };
    }
    return { kind: 'in_flight', retryAfterSeconds: 1 };
  }

  /**
   * Renews the owner's lease every third of it until the returned function is called, or until
   * the key is no longer this owner's.
   */
  keepAlive(owned: OwnedKey): () => void {
    const timer = setInterval(
      () => {
        this.keys.renew(owned, new Date(Date.now() + this.leaseMs)).then(
          (still) => {
            if (!still) clearInterval(timer);
          },
          (err: Error) => this.logger.warn(`could not renew an idempotency lease: ${err.message}`),
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Stores the owner's answer in the transaction of the change it answers: the change and the
   * response a retry replays commit together, so a crash between them cannot make a retry run the
   * change a second time. If the key is no longer this owner's (its lease ran out and a retry took
   * it over), the whole change is refused.
   */
  async storeIn(tx: SqlTransaction, owned: OwnedKey, answer: StoredAnswer): Promise<void> {
    if (!(await this.keys.completeIn(tx, owned, answer))) throw new ConflictException(TAKEN_OVER);
  }

  /** The owner finished without a change of its own to ride with (an error, a route without one). */
  store(owned: OwnedKey, answer: StoredAnswer): Promise<void> {
    return this.keys.completeNow(owned, answer);
  }

  /** Forget the key, so a retry runs again (validation failures, 5xx). */
  release(owned: OwnedKey): Promise<void> {
    return this.keys.deleteOwned(owned);
  }

  purgeExpired(now = new Date()): Promise<number> {
    return this.keys.deleteExpired(now);
  }
}
