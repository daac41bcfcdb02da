import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Merchants, API keys, customers and the audit log. Written with TypeORM's schema builder so the
 * same migration produces the right DDL on SQLite and on MySQL/MariaDB. Every table holding
 * merchant data has merchant_id, and every index on it leads with merchant_id.
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    // utf8mb4 TEXT holds 65,535 bytes: too few for 21,844 four-byte characters.
    const longText = mysql ? 'mediumtext' : 'text';
    const ts = (name: string, nullable = false) => ({
      name,
      type: 'datetime',
      precision: 3,
      isNullable: nullable,
    });
    const str = (name: string, length: number, nullable = true) => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: nullable,
    });

    await queryRunner.createTable(
      new Table({
        name: 'merchants',
        columns: [{ ...str('id', 36, false), isPrimary: true }, str('name', 255, false), ts('created_at')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { ...str('id', 36, false), isPrimary: true },
          str('merchant_id', 36, false),
          str('client_key', 64, false),
          str('secret_hash', 64, false),
          str('scopes', 255, false),
          ts('created_at'),
          ts('revoked_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_api_keys_client_key', columnNames: ['client_key'], isUnique: true }),
          new TableIndex({ name: 'uq_api_keys_secret_hash', columnNames: ['secret_hash'], isUnique: true }),
          new TableIndex({ name: 'idx_api_keys_merchant', columnNames: ['merchant_id'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'customers',
        columns: [
          { ...str('id', 36, false), isPrimary: true },
          str('merchant_id', 36, false),
          str('firstname', 255),
          str('lastname', 255),
          str('company', 255),
          str('email', 255),
          str('email_key', 255),
          { name: 'cc_emails', type: 'text', isNullable: true },
          { name: 'cc_sms', type: 'text', isNullable: true },
          str('phone', 20),
          str('address_1', 255),
          str('address_2', 255),
          str('address_city', 255),
          str('address_state', 64),
          str('address_zip', 16),
          str('address_country', 3),
          { name: 'notes', type: longText, isNullable: true },
          str('reference', 255),
          { name: 'options', type: longText, isNullable: true },
          { name: 'allow_invoice_credit_card_payments', type: 'boolean', isNullable: false, default: 1 },
          { ...str('customer_type', 32, false), default: "'Individual'" },
          { ...str('status', 16, false), default: "'ACTIVE'" },
          { name: 'last_spent', type: 'decimal', precision: 12, scale: 2, isNullable: false, default: 0 },
          ts('last_purchase_date', true),
          { name: 'version', type: 'int', isNullable: false, default: 1 },
          ts('created_at'),
          ts('updated_at'),
          ts('deleted_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_customers_merchant_email',
            columnNames: ['merchant_id', 'email_key'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'idx_customers_merchant_created',
            columnNames: ['merchant_id', 'created_at'],
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          {
            name: 'seq',
            type: mysql ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          str('id', 36, false),
          str('merchant_id', 36, false),
          str('customer_id', 36, false),
          str('action', 32, false),
          { name: 'changes', type: longText, isNullable: false },
          str('actor', 64, false),
          str('request_id', 128, false),
          str('idempotency_key', 255),
          ts('created_at'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_audit_merchant_customer',
            columnNames: ['merchant_id', 'customer_id', 'seq'],
          }),
        ],
      }),
    );

    if (mysql) {
      // Whatever the database's default character set, names with emoji must fit.
      for (const table of ['merchants', 'api_keys', 'customers', 'audit_entries']) {
        await queryRunner.query(`ALTER TABLE \`${table}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      }
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_entries');
    await queryRunner.dropTable('customers');
    await queryRunner.dropTable('api_keys');
    await queryRunner.dropTable('merchants');
  }
}
