import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import { ApiKey } from './api-key.entity';
import { Merchant } from './merchant.entity';

/**
 * All SQL about merchants and their API keys (tables `merchants`, `api_keys`). Credential checks
 * run on requests, so they are plain SQL; provisioning is rare and goes through TypeORM.
 */
@Injectable()
export class ApiKeysRepository {
  private built?: { keys: EntityRows<ApiKey>; merchants: EntityRows<Merchant> };

  constructor(private readonly db: DatabaseService) {}

  /** Built on first use: entity metadata exists once the data source is up. */
  private get sql() {
    this.built ??= {
      keys: new EntityRows(this.db.dataSource, ApiKey),
      merchants: new EntityRows(this.db.dataSource, Merchant),
    };
    return this.built;
  }

  findByClientKey(clientKey: string): Promise<ApiKey | null> {
    return this.findKey('client_key', clientKey);
  }

  findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    return this.findKey('secret_hash', secretHash);
  }

  /** A merchant's keys, oldest first. */
  async listKeys(merchantId: string): Promise<ApiKey[]> {
    const { keys } = this.sql;
    const found = await this.db.query(
      `SELECT ${keys.selectList} FROM ${keys.table} WHERE ${keys.column('merchant_id')} = ? ORDER BY ${keys.column('created_at')} ASC`,
      [merchantId],
    );
    return found.map((r) => keys.hydrate(r));
  }

  /** Every merchant, oldest first. */
  async listMerchants(): Promise<Merchant[]> {
    const { merchants } = this.sql;
    const found = await this.db.query(
      `SELECT ${merchants.selectList} FROM ${merchants.table} ORDER BY ${merchants.column('created_at')} ASC, ${merchants.column('id')} ASC`,
    );
    return found.map((r) => merchants.hydrate(r));
  }

  /** Merchant id → how many of its keys are not revoked (merchants with none are left out). */
  async countActiveKeysByMerchant(): Promise<Map<string, number>> {
    const { keys } = this.sql;
    const merchantId = keys.column('merchant_id');
    const rows = await this.db.query<{ merchant_id: string; n: number | string }[]>(
      `SELECT ${merchantId} AS merchant_id, COUNT(*) AS n FROM ${keys.table} WHERE ${keys.column('revoked_at')} IS NULL GROUP BY ${merchantId}`,
    );
    return new Map(rows.map((r) => [r.merchant_id, Number(r.n)]));
  }

  async hasAnyMerchant(): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM ${this.sql.merchants.table} LIMIT 1`)).length > 0;
  }

  async merchantExists(merchantId: string): Promise<boolean> {
    const { merchants } = this.sql;
    return (
      (
        await this.db.query(`SELECT 1 FROM ${merchants.table} WHERE ${merchants.column('id')} = ?`, [
          merchantId,
        ])
      ).length > 0
    );
  }

  /** Inserts the merchant, if given, and the key in one transaction; 'no-merchant' if it does not exist. */
  insertKey(key: ApiKey, newMerchant?: Merchant): Promise<'ok' | 'no-merchant'> {
    return this.db.ormTransaction(async (em) => {
      if (newMerchant) await em.insert(Merchant, newMerchant);
      else if (!(await em.findOne(Merchant, { where: { id: key.merchant_id } }))) return 'no-merchant';
      await em.insert(ApiKey, key);
      return 'ok';
    });
  }

  /** Marks a key revoked (if it was not); the key as it was, or null if there is none. */
  revoke(clientKey: string, at: Date): Promise<ApiKey | null> {
    return this.db.ormTransaction(async (em) => {
      const found = await em.findOne(ApiKey, { where: { client_key: clientKey } });
      if (found && !found.revoked_at) await em.update(ApiKey, { id: found.id }, { revoked_at: at });
      return found;
    });
  }

  private async findKey(column: 'client_key' | 'secret_hash', value: string): Promise<ApiKey | null> {
    const { keys } = this.sql;
    const found = await this.db.query(
      `SELECT ${keys.selectList} FROM ${keys.table} WHERE ${keys.column(column)} = ?`,
      [value],
    );
    return found.length > 0 ? keys.hydrate(found[0]) : null;
  }
}
