import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { ImportRun } from './import-run.entity';

export type ImportCounts = Pick<ImportRun, 'rows_done' | 'created' | 'updated' | 'unchanged' | 'rejected'>;

/** All SQL about import checkpoints (table `import_runs`). */
@Injectable()
export class ImportRunsRepository {
  private built?: { rows: EntityRows<ImportRun>; where: string };

  constructor(private readonly db: DatabaseService) {}

  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, ImportRun);
      this.built = { rows, where: `${rows.column('merchant_id')} = ? AND ${rows.column('source_key')} = ?` };
    }
    return this.built;
  }

  async find(merchantId: string, sourceKey: string): Promise<ImportRun | null> {
    const { rows, where } = this.sql;
    const found = await this.db.query(`SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where}`, [
      merchantId,
      sourceKey,
    ]);
    return found.length ? rows.hydrate(found[0]) : null;
  }

  /** Starts the run afresh (replacing an earlier run of the same import). */
  start(run: ImportRun): Promise<void> {
    const { rows, where } = this.sql;
    return this.db.transaction(async (tx) => {
      tx.defer(`DELETE FROM ${rows.table} WHERE ${where}`, [run.merchant_id, run.source_key]);
      const insert = rows.insert(rows.properties, [run]);
      await tx.query(insert.sql, insert.params);
    });
  }

  /**
   * Writes the checkpoint in the transaction of the batch it settles, now: it also sends what the
   * batch queued, so a statement the database refuses fails here, before the caller goes on.
   */
  async checkpointNow(
    tx: SqlTransaction,
    merchantId: string,
    sourceKey: string,
    counts: ImportCounts,
  ): Promise<void> {
    const { rows, where } = this.sql;
    const set = rows.assignments({ ...counts, updated_at: new Date() });
    await tx.query(`UPDATE ${rows.table} SET ${set.sql} WHERE ${where}`, [
      ...set.params,
      merchantId,
      sourceKey,
    ]);
  }

  async finish(merchantId: string, sourceKey: string): Promise<void> {
    const { rows, where } = this.sql;
    const set = rows.assignments({ state: 'done', updated_at: new Date() });
    await this.db.query(`UPDATE ${rows.table} SET ${set.sql} WHERE ${where}`, [
      ...set.params,
      merchantId,
      sourceKey,
    ]);
  }
}
