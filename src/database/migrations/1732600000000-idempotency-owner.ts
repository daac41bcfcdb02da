import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * The owner of an in-flight idempotency key: a token each claim (or take-over) writes, so the
 * answer of a request whose lease another request took over is refused, in the transaction of its
 * change, instead of committing beside the new owner's (README, "Idempotency keys and concurrency").
 */
export class IdempotencyOwner1732600000000 implements MigrationInterface {
  name = 'IdempotencyOwner1732600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'idempotency_keys',
      new TableColumn({ name: 'owner', type: 'varchar', length: '36', isNullable: true }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('idempotency_keys', 'owner');
  }
}
