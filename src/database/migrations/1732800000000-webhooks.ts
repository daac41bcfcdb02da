import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Webhook endpoints and their deliveries (the outbox written with each customer change). Every
 * index leads with merchant_id but one: `idx_webhook_deliveries_due`, the queue of due deliveries
 * that the worker scans across merchants by design.
 */
export class Webhooks1732800000000 implements MigrationInterface {
  name = 'Webhooks1732800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const time = (name: string, isNullable: boolean) =>
      ({ name, type: 'datetime', precision: 3, isNullable }) as const;
    await queryRunner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'merchant_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'surface', type: 'varchar', length: '8', isNullable: false },
          { name: 'url', type: 'varchar', length: '2048', isNullable: false },
          { name: 'events', type: 'varchar', length: '255', isNullable: false },
          { name: 'secret', type: 'varchar', length: '255', isNullable: false },
          { name: 'previous_secret', type: 'varchar', length: '255', isNullable: true },
          time('previous_secret_until', true),
          time('paused_until', true),
          time('failing_since', true),
          time('disabled_at', true),
          { name: 'disabled_reason', type: 'varchar', length: '255', isNullable: true },
          time('created_at', false),
          time('updated_at', false),
          time('deleted_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'idx_webhook_endpoints_merchant',
            columnNames: ['merchant_id', 'created_at'],
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          {
            name: 'seq',
            type: mysql ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'event_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'merchant_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'endpoint_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'customer_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'event_type', type: 'varchar', length: '32', isNullable: false },
          { name: 'payload', type: mysql ? 'mediumtext' : 'text', isNullable: false },
          { name: 'status', type: 'varchar', length: '16', isNullable: false },
          { name: 'attempt_count', type: 'int', isNullable: false },
          { name: 'attempts', type: 'text', isNullable: false },
          time('next_attempt_at', true),
          time('locked_until', true),
          { name: 'lock_owner', type: 'varchar', length: '36', isNullable: true },
          time('created_at', false),
          time('queued_at', false),
          time('completed_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_webhook_deliveries_event',
            columnNames: ['merchant_id', 'endpoint_id', 'event_id'],
            isUnique: true,
          }),
          // The deliveries of one endpoint, newest first (seq).
          new TableIndex({
            name: 'idx_webhook_deliveries_endpoint',
            columnNames: ['merchant_id', 'endpoint_id', 'seq'],
          }),
          // "Is an earlier delivery of this customer to this endpoint still pending?"
          new TableIndex({
            name: 'idx_webhook_deliveries_order',
            columnNames: ['merchant_id', 'endpoint_id', 'customer_id', 'status', 'seq'],
          }),
          new TableIndex({ name: 'idx_webhook_deliveries_due', columnNames: ['next_attempt_at'] }),
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropTable('webhook_endpoints');
  }
}
