import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { Customer } from './customer.entity';

/** Columns a search may match text in. */
export type SearchColumn =
  | 'id'
  | 'firstname'
  | 'lastname'
  | 'company'
  | 'email'
  | 'phone'
  | 'address_1'
  | 'address_2'
  | 'address_city'
  | 'address_state'
  | 'address_zip'
  | 'notes'
  | 'reference';

/** Columns a list may be sorted on (then by id, for a stable order). */
export type SortColumn =
  | 'firstname'
  | 'lastname'
  | 'email'
  | 'company'
  | 'address_1'
  | 'address_city'
  | 'address_state'
  | 'reference'
  | 'created_at'
  | 'updated_at';

/**
 * A search of one merchant's customers. Column names are typed as unions, never `string`: they
 * become SQL identifiers (checked once more against the entity's columns), and only values travel
 * as parameters.
 */
export interface CustomerSearch {
  /** Column → substring, each matched case-insensitively, all ANDed. */
  contains: { column: SearchColumn; text: string }[];
  /** Each entry must match (substring) at least one of its columns: Stax keywords[], v0 name. */
  anyContains: { columns: readonly SearchColumn[]; text: string }[];
  /** Exact status. */
  status?: Customer['status'];
  sort: SortColumn;
  order: 'ASC' | 'DESC';
  trashed: 'without' | 'with' | 'only';
  skip: number;
  take: number;
}

/**
 * LIKE with '!' as the escape character: the same on MySQL and SQLite, so % and _ are plain text.
 * The database lower-cases both sides (see `contains`), so they fold case by the same rules.
 */
function likePattern(text: string): string {
  return '%' + text.replace(/[!%_]/g, (ch) => '!' + ch) + '%';
}

/** All SQL about customers (table `customers`). Every statement is scoped by merchant_id first. */
@Injectable()
export class CustomersRepository {
  private built?: { rows: EntityRows<Customer>; selectOne: string; where: string };

  constructor(private readonly db: DatabaseService) {}

  /**
   * The per-request statements (read one customer, update it) as plain SQL built once; see
   * EntityRows. Built on first use: entity metadata exists once the data source is up.
   */
  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, Customer);
      const where = `${rows.column('merchant_id')} = ? AND ${rows.column('id')} = ?`;
      this.built = { rows, where, selectOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where}` };
    }
    return this.built;
  }

  /** Reads a customer and, on MySQL, locks its row until the transaction ends. */
  async findForUpdate(tx: SqlTransaction, merchantId: string, id: string): Promise<Customer | null> {
    const { rows, selectOne } = this.sql;
    const found = await tx.query(selectOne + this.db.dialect.forUpdate, [merchantId, id]);
    return found.length > 0 ? rows.hydrate(found[0]) : null;
  }

  /**
   * Reads and (MySQL) locks the customers whose id, email_key or reference is one of `values`:
   * the rows a batch may change. By reference, live customers only (email_key is live only).
   */
  async lockMany(
    tx: SqlTransaction,
    merchantId: string,
    by: 'id' | 'email_key' | 'reference',
    values: string[],
  ): Promise<Customer[]> {
    const { rows } = this.sql;
    const live = by === 'reference' ? ` AND ${rows.column('deleted_at')} IS NULL` : '';
    const found = await tx.query(
      `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${rows.column('merchant_id')} = ? AND ${rows.column(by)} IN (${values.map(() => '?').join(', ')})${live}${this.db.dialect.forUpdate}`,
      [merchantId, ...values],
    );
    return found.map((r) => rows.hydrate(r));
  }

  async findOne(merchantId: string, id: string): Promise<Customer | null> {
    const { rows, selectOne } = this.sql;
    const found = await this.db.query(selectOne, [merchantId, id]);
    return found.length > 0 ? rows.hydrate(found[0]) : null;
  }

  async exists(merchantId: string, id: string): Promise<boolean> {
    const { rows, where } = this.sql;
    return (await this.db.query(`SELECT 1 FROM ${rows.table} WHERE ${where}`, [merchantId, id])).length > 0;
  }

  /** Queues the INSERT of a new customer (every column) in the transaction. */
  insert(tx: SqlTransaction, customer: Customer): void {
    const insert = this.sql.rows.insert(this.sql.rows.properties, [customer]);
    tx.defer(insert.sql, insert.params);
  }

  /** Queues the UPDATE of the given columns of one customer in the transaction. */
  update(tx: SqlTransaction, merchantId: string, id: string, values: Partial<Customer>): void {
    const { rows, where } = this.sql;
    const set = rows.assignments(values);
    tx.defer(`UPDATE ${rows.table} SET ${set.sql} WHERE ${where}`, [...set.params, merchantId, id]);
  }

  /**
   * One page of a merchant's customers in (created_at, id) order, after the given one: keyset
   * pagination, so an export of any size reads each page from the index. Deleted ones as `trashed`
   * says; `updatedSince` keeps those updated at or after it.
   */
  async exportPage(
    merchantId: string,
    after: { created_at: Date; id: string } | null,
    filter: { trashed: 'without' | 'with' | 'only'; updatedSince?: Date },
    take: number,
  ): Promise<Customer[]> {
    const { rows } = this.sql;
    const created = rows.column('created_at');
    const id = rows.column('id');
    const parts = [`${rows.column('merchant_id')} = ?`];
    const params: unknown[] = [merchantId];
    if (filter.trashed === 'without') parts.push(`${rows.column('deleted_at')} IS NULL`);
    if (filter.trashed === 'only') parts.push(`${rows.column('deleted_at')} IS NOT NULL`);
    if (filter.updatedSince) {
      parts.push(`${rows.column('updated_at')} >= ?`);
      params.push(...rows.values({ updated_at: filter.updatedSince }));
    }
    if (after) {
      parts.push(`(${created} > ? OR (${created} = ? AND ${id} > ?))`);
      const at = rows.values({ created_at: after.created_at })[0];
      params.push(at, at, after.id);
    }
    const found = await this.db.query(
      `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${parts.join(' AND ')} ORDER BY ${created}, ${id} LIMIT ?`,
      [...params, take],
    );
    return found.map((r) => rows.hydrate(r));
  }

  /** One page of the search and the number of all matches. */
  async search(merchantId: string, s: CustomerSearch): Promise<{ rows: Customer[]; total: number }> {
    const { rows } = this.sql;
    const where = this.searchWhere(merchantId, s);
    const order = `${rows.column(s.sort)} ${s.order}, ${rows.column('id')} ${s.order}`;
    const [found, counted] = await Promise.all([
      this.db.query(
        `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
        [...where.params, s.take, s.skip],
      ),
      this.db.query<{ n: number | string }[]>(
        `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${where.sql}`,
        where.params,
      ),
    ]);
    return { rows: found.map((r) => rows.hydrate(r)), total: Number(counted[0].n) };
  }

  private searchWhere(merchantId: string, s: CustomerSearch): { sql: string; params: unknown[] } {
    const { rows } = this.sql;
    const parts = [`${rows.column('merchant_id')} = ?`];
    const params: unknown[] = [merchantId];
    if (s.trashed === 'without') parts.push(`${rows.column('deleted_at')} IS NULL`);
    if (s.trashed === 'only') parts.push(`${rows.column('deleted_at')} IS NOT NULL`);
    for (const { column, text } of s.contains) {
      parts.push(this.contains(column));
      params.push(likePattern(text));
    }
    for (const { columns, text } of s.anyContains) {
      parts.push(`(${columns.map((c) => this.contains(c)).join(' OR ')})`);
      for (let i = 0; i < columns.length; i++) params.push(likePattern(text));
    }
    if (s.status !== undefined) {
      parts.push(`${rows.column('status')} = ?`);
      params.push(s.status);
    }
    return { sql: parts.join(' AND '), params };
  }

  /** Case-insensitive substring test of one column against a `?` LIKE pattern. */
  private contains(column: SearchColumn): string {
    return `LOWER(${this.sql.rows.column(column)}) LIKE ${this.db.dialect.binary('LOWER(?)')} ESCAPE '!'`;
  }
}
