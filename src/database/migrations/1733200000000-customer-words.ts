import { MigrationInterface, QueryRunner } from 'typeorm';
import { KEYWORD_COLUMNS, MAX_WORD_LENGTH, wordsOf } from '../../customers/customer-words';

/** Customers read per step of the backfill, and word rows per INSERT (3 parameters each). */
const READ_CHUNK = 2000;
const INSERT_CHUNK = 1000;

/**
 * The word table keyword searches read (CustomerWord; README, "Listing and searching customers"),
 * filled from the existing customers: read in primary-key order, READ_CHUNK at a time, their words
 * inserted in multi-row statements, so a book of millions never sits in memory or in one statement.
 * MySQL/MariaDB: `word` compares bytes, the ids keep the customers table's collation (so the
 * search's join on customer_id reads customers by primary key). SQLite: WITHOUT ROWID, so the
 * primary key is the table itself (one B-tree, not two).
 */
export class CustomerWords1733200000000 implements MigrationInterface {
  name = 'CustomerWords1733200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    if (mysql) {
      await queryRunner.query(
        `CREATE TABLE \`customer_words\` (
           \`merchant_id\` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
           \`word\` varchar(${MAX_WORD_LENGTH}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
           \`customer_id\` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
           PRIMARY KEY (\`merchant_id\`, \`word\`, \`customer_id\`)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      );
    } else {
      await queryRunner.query(
        `CREATE TABLE "customer_words" (
           "merchant_id" varchar(36) NOT NULL,
           "word" varchar(${MAX_WORD_LENGTH}) NOT NULL,
           "customer_id" varchar(36) NOT NULL,
           PRIMARY KEY ("merchant_id", "word", "customer_id")
         ) WITHOUT ROWID`,
      );
    }
    const q = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`);
    const columns = ['merchant_id', ...KEYWORD_COLUMNS].map(q).join(', ');
    let after = '';
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT ${columns} FROM ${q('customers')} WHERE ${q('id')} > ? ORDER BY ${q('id')} LIMIT ${READ_CHUNK}`,
        [after],
      )) as ({ merchant_id: string; id: string } & Record<string, string | null>)[];
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const words: string[] = [];
      for (const row of rows) {
        for (const w of wordsOf(row as never)) words.push(row.merchant_id, w, row.id);
      }
      for (let i = 0; i < words.length; i += INSERT_CHUNK * 3) {
        const chunk = words.slice(i, i + INSERT_CHUNK * 3);
        await queryRunner.query(
          `INSERT INTO ${q('customer_words')} (${q('merchant_id')}, ${q('word')}, ${q('customer_id')}) VALUES ${new Array(chunk.length / 3).fill('(?, ?, ?)').join(', ')}`,
          chunk,
        );
      }
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE customer_words');
  }
}
