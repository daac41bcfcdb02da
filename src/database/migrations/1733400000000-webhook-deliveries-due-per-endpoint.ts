import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue of due deliveries per endpoint: `idx_webhook_deliveries_due` becomes (merchant_id,
 * endpoint_id, next_attempt_at) instead of (next_attempt_at) alone. The worker now looks for due
 * work endpoint by endpoint (WebhookDeliveriesRepository.claimDue), so the deliveries of a paused
 * endpoint, or of one with all its attempts in flight, are never read: with the queue across all
 * endpoints, every poll walked a dead endpoint's whole backlog to pass over it, and every backoff step
 * rewrote that backlog to move it past the pause. Leads with merchant_id, as every index does now.
 */
export class WebhookDeliveriesDuePerEndpoint1733400000000 implements MigrationInterface {
  name = 'WebhookDeliveriesDuePerEndpoint1733400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await recreate(queryRunner, ['merchant_id', 'endpoint_id', 'next_attempt_at']);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await recreate(queryRunner, ['next_attempt_at']);
  }
}

async function recreate(queryRunner: QueryRunner, columns: string[]): Promise<void> {
  const mysql = queryRunner.connection.options.type === 'mysql';
  const q = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`);
  await queryRunner.query(
    `DROP INDEX ${q('idx_webhook_deliveries_due')}${mysql ? ` ON ${q('webhook_deliveries')}` : ''}`,
  );
  await queryRunner.query(
    `CREATE INDEX ${q('idx_webhook_deliveries_due')} ON ${q('webhook_deliveries')} (${columns.map(q).join(', ')})`,
  );
}
