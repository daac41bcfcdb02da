import { MigrationInterface, QueryRunner } from 'typeorm';
import { KEYWORD_COLUMNS, MAX_WORD_LENGTH, wordsOf } from '../../customers/customer-words';

/** Customers read per step of the backfill, and word rows per INSERT (5 parameters each). */
const READ_CHUNK = 2000;
const INSERT_CHUNK = 1000;

/**
 * customer_words gets each customer's created_at and deleted flag beside its key (CustomerWord), so
 * a search of one plain keyword counts and orders its matches from the word table alone. The table
 * is made again and filled from the customers (as 1733200000000 did, in primary-key order,
 * READ_CHUNK at a time): reading each word's customer by id instead would be a random read per word.
 * `down` makes the three-column table of 1733200000000 again, filled the same way.
 */
export class CustomerWordsOrder1733300000000 implements MigrationInterface {
  name = 'CustomerWordsOrder1733300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, true);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, false);
  }
}

async function rebuild(queryRunner: QueryRunner, withOrder: boolean): Promise<void> {
  const mysql = queryRunner.connection.options.type === 'mysql';
  const q = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`);
  await queryRunner.query(`DROP TABLE ${q('customer_words')}`);
  if (mysql) {
    await queryRunner.query(
      `CREATE TABLE \`customer_words\` (
         \`merchant_id\` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
         \`word\` varchar(${MAX_WORD_LENGTH}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
         \`customer_id\` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
         ${withOrder ? '`created_at` datetime(3) NOT NULL, `deleted` tinyint NOT NULL,' : ''}
         PRIMARY KEY (\`merchant_id\`, \`word\`, \`customer_id\`)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    );
  } else {
    await queryRunner.query(
      `CREATE TABLE "customer_words" (
         "merchant_id" varchar(36) NOT NULL,
         "word" varchar(${MAX_WORD_LENGTH}) NOT NULL,
         "customer_id" varchar(36) NOT NULL,
         ${withOrder ? '"created_at" datetime(3) NOT NULL, "deleted" boolean NOT NULL,' : ''}
         PRIMARY KEY ("merchant_id", "word", "customer_id")
       ) WITHOUT ROWID`,
    );
  }
  const extra = withOrder ? ['created_at', 'deleted'] : [];
  const inserted = ['merchant_id', 'word', 'customer_id', ...extra];
  const columns = ['merchant_id', 'created_at', 'deleted_at', ...KEYWORD_COLUMNS].map(q).join(', ');
  let after = '';
  for (;;) {
    // created_at goes back as it came (a Date on MySQL, the stored text on SQLite).
    const rows = (await queryRunner.query(
      `SELECT ${columns} FROM ${q('customers')} WHERE ${q('id')} > ? ORDER BY ${q('id')} LIMIT ${READ_CHUNK}`,
      [after],
    )) as ({ merchant_id: string; id: string; created_at: unknown; deleted_at: unknown } & Record<
      string,
      unknown
    >)[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const values: unknown[] = [];
    for (const row of rows) {
      const order = withOrder ? [row.created_at, row.deleted_at === null ? 0 : 1] : [];
      for (const w of wordsOf(row as never)) values.push(row.merchant_id, w, row.id, ...order);
    }
    const width = inserted.length;
    for (let i = 0; i < values.length; i += INSERT_CHUNK * width) {
      const chunk = values.slice(i, i + INSERT_CHUNK * width);
      const one = `(${inserted.map(() => '?').join(', ')})`;
      await queryRunner.query(
        `INSERT INTO ${q('customer_words')} (${inserted.map(q).join(', ')}) VALUES ${new Array(chunk.length / width).fill(one).join(', ')}`,
        chunk,
      );
    }
  }
}
