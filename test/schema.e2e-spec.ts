/**
 * The tables the migrations make match the entities, column by column: name, width of a text
 * column, and nullability. The customer's widths come from its one field declaration
 * (src/customers/customer-fields.ts), so a width changed there without a migration fails here, on
 * SQLite and on MySQL/MariaDB alike.
 */
import { DataSource } from 'typeorm';
import { ENTITIES } from '../src/database/data-source-options';
import { DatabaseService } from '../src/database/database.service';
import { startApp, TestApp } from './support/app';

interface DbColumn {
  name: string;
  /** Width of a text column; null for any other type. */
  width: number | null;
  nullable: boolean;
}

describe('schema made by the migrations', () => {
  let t: TestApp;
  let db: DatabaseService;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(DatabaseService);
  });
  afterAll(() => t.close());

  async function columnsOf(table: string): Promise<DbColumn[]> {
    if (db.dialect.kind === 'mysql') {
      const rows = await db.query<{ name: string; width: number | null; nullable: string; type: string }[]>(
        `SELECT COLUMN_NAME AS name, CHARACTER_MAXIMUM_LENGTH AS width, IS_NULLABLE AS nullable, DATA_TYPE AS type
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
        [table],
      );
      return rows.map((r) => ({
        name: r.name,
        width: r.type === 'varchar' ? Number(r.width) : null,
        nullable: r.nullable === 'YES',
      }));
    }
    const rows = await db.query<{ name: string; type: string; not_null: number; pk: number }[]>(
      `SELECT name, type, "notnull" AS not_null, pk FROM pragma_table_info(?)`,
      [table],
    );
    return rows.map((r) => {
      const m = /^varchar\((\d+)\)$/i.exec(r.type);
      // SQLite lets a primary key column hold NULL unless declared NOT NULL; TypeORM never writes one.
      return { name: r.name, width: m ? Number(m[1]) : null, nullable: r.not_null === 0 && r.pk === 0 };
    });
  }

  it.each(ENTITIES.map((e) => [e.name, e] as const))(
    '%s: every column as the entity declares it',
    async (_n, entity) => {
      const meta = t.app.get(DataSource).getMetadata(entity);
      const actual = await columnsOf(meta.tableName);
      const expected: DbColumn[] = meta.columns.map((c) => ({
        name: c.databaseName,
        width: c.type === 'varchar' ? Number(c.length) : null,
        nullable: c.isNullable,
      }));
      const byName = (a: DbColumn, b: DbColumn) => (a.name < b.name ? -1 : 1);
      expect(actual.sort(byName)).toEqual(expected.sort(byName));
    },
  );
});
