import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A disabled endpoint's deliveries are no longer rewritten to `held`: being disabled is the
 * endpoint's state, as a pause is, and its deliveries stay `pending` (the listing shows them as
 * `held`). So disabling, enabling and deleting an endpoint no longer rewrite its backlog in one
 * statement, and a change that read the endpoint as disabled cannot leave a delivery held after
 * the endpoint was enabled. `webhook_endpoints.enabled_at` is when it was last enabled again: the
 * retry window of a delivery that waited for it counts from then. Rows held by earlier versions
 * become pending again.
 */
export class WebhookHoldsOnEndpoint1733500000000 implements MigrationInterface {
  name = 'WebhookHoldsOnEndpoint1733500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook_endpoints',
      new TableColumn({ name: 'enabled_at', type: 'datetime', precision: 3, isNullable: true }),
    );
    const q =
      queryRunner.connection.options.type === 'mysql' ? (n: string) => `\`${n}\`` : (n: string) => `"${n}"`;
    await queryRunner.query(
      `UPDATE ${q('webhook_deliveries')} SET ${q('status')} = 'pending', ${q('next_attempt_at')} = ${q('queued_at')} WHERE ${q('status')} = 'held'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook_endpoints', 'enabled_at');
  }
}
