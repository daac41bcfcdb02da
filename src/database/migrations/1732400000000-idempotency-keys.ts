import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Stored idempotency keys (README, "Idempotency keys and concurrency"): one row per (merchant, key), kept 24 hours. */
export class IdempotencyKeys1732400000000 implements MigrationInterface {
  name = 'IdempotencyKeys1732400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { name: 'merchant_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'idem_key', type: 'varchar', length: '255', isPrimary: true },
          { name: 'fingerprint', type: 'varchar', length: '64', isNullable: false },
          { name: 'state', type: 'varchar', length: '16', isNullable: false },
          { name: 'response_status', type: 'int', isNullable: true },
          { name: 'response_body', type: mysql ? 'mediumtext' : 'text', isNullable: true },
          { name: 'response_etag', type: 'varchar', length: '64', isNullable: true },
          { name: 'locked_until', type: 'datetime', precision: 3, isNullable: false },
          { name: 'created_at', type: 'datetime', precision: 3, isNullable: false },
          { name: 'expires_at', type: 'datetime', precision: 3, isNullable: false },
        ],
        indices: [
          new TableIndex({
            name: 'idx_idempotency_merchant_expires',
            columnNames: ['merchant_id', 'expires_at'],
          }),
        ],
      }),
    );
    if (mysql) {
      // Keys are compared byte for byte: "abc" and "ABC" are two keys, as on SQLite.
      await queryRunner.query('ALTER TABLE `idempotency_keys` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('idempotency_keys');
  }
}
