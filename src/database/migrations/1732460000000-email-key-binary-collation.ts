import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * customers.email_key holds the lower-cased email, and the unique index uq_customers_merchant_email on
 * it makes an email unique per merchant. On MySQL/MariaDB the column inherited the table's
 * accent-insensitive collation, so jose@… and josé@… collided. Lower-casing already makes the check
 * case-insensitive, so the column compares bytes. SQLite compares bytes already: nothing to do there.
 */
export class EmailKeyBinaryCollation1732460000000 implements MigrationInterface {
  name = 'EmailKeyBinaryCollation1732460000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query(
      'ALTER TABLE `customers` MODIFY `email_key` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query('ALTER TABLE `customers` MODIFY `email_key` varchar(255) NULL');
  }
}
