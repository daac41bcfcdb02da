import { Injectable } from '@nestjs/common';
import { Brackets, SelectQueryBuilder } from 'typeorm';
import { DatabaseService, SqlTransaction } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import { Customer } from './customer.entity';

export interface CustomerSearch {
  /** Field → substring, each matched case-insensitively, all ANDed. */
  filters: Record<string, string>;
  /** Each entry must match (substring) at least one of its fields: Stax keywords[], v0 name. */
  anyOf: { fields: string[]; text: string }[];
  /** Field → exact value. */
  equals: Record<string, string>;
  sort: string;
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

/**
 * All SQL about customers. Every query is scoped by merchant_id first. Field names in searches
 * come from the DTOs' whitelists, never from raw client input.
 */
@Injectable()
export class CustomersRepository {
  private plain?: { rows: EntityRows<Customer>; selectOne: string; where: string };

  constructor(private readonly db: DatabaseService) {}

  /**
   * The per-request statements (read one customer, update it) as plain SQL built once; see
   * EntityRows. Built on first use: entity metadata exists once the data source is up.
   */
  private get sql() {
    if (!this.plain) {
      const rows = new EntityRows(this.db.dataSource, Customer);
      const where = `${rows.column('merchant_id')} = ? AND ${rows.column('id')} = ?`;
      this.plain = { rows, where, selectOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where}` };
    }
    return this.plain;
  }

  /** Reads a customer and, on MySQL, locks its row until the transaction ends. */
  async findForUpdate(tx: SqlTransaction, merchantId: string, id: string): Promise<Customer | null> {
    const { rows, selectOne } = this.sql;
    const found = await tx.query(this.db.locksRows ? `${selectOne} FOR UPDATE` : selectOne, [merchantId, id]);
    return found.length > 0 ? rows.hydrate(found[0]) : null;
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

  async search(merchantId: string, s: CustomerSearch): Promise<{ rows: Customer[]; total: number }> {
    return this.db.read(async (em) => {
      const qb = em.createQueryBuilder(Customer, 'c').where('c.merchant_id = :merchantId', { merchantId });
      if (s.trashed === 'without') qb.andWhere('c.deleted_at IS NULL');
      if (s.trashed === 'only') qb.andWhere('c.deleted_at IS NOT NULL');
      this.applyFilters(qb, s);
      const [rows, total] = await qb
        .orderBy(`c.${s.sort}`, s.order)
        .addOrderBy('c.id', s.order)
        .skip(s.skip)
        .take(s.take)
        .getManyAndCount();
      return { rows, total };
    });
  }

  /**
   * Case-insensitive substring test. On MySQL the lower-cased text is compared byte for byte: its
   * utf8mb4_unicode_ci collation would also fold accents (zoe would find Zoë) where SQLite does not,
   * and a search must mean the same on both databases.
   */
  private contains(field: string, param: string): string {
    const collate = this.db.isSqlite ? '' : ' COLLATE utf8mb4_bin';
    return `LOWER(c.${field}) LIKE LOWER(:${param})${collate} ESCAPE '!'`;
  }

  private applyFilters(qb: SelectQueryBuilder<Customer>, s: CustomerSearch): void {
    let n = 0;
    for (const [field, text] of Object.entries(s.filters)) {
      const p = `p${n++}`;
      qb.andWhere(this.contains(field, p), { [p]: likePattern(text) });
    }
    for (const { fields, text } of s.anyOf) {
      const p = `p${n++}`;
      qb.andWhere(
        new Brackets((or) => {
          for (const field of fields) or.orWhere(this.contains(field, p));
        }),
        { [p]: likePattern(text) },
      );
    }
    for (const [field, value] of Object.entries(s.equals)) {
      const p = `p${n++}`;
      qb.andWhere(`c.${field} = :${p}`, { [p]: value });
    }
  }
}
