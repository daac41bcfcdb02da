import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction } from '../database/sql-transaction';
import { CustomerCount } from './customer-count.entity';
import { CustomerWord } from './customer-word.entity';
import { Customer } from './customer.entity';
import {
  digitsOf,
  isKeywordColumn,
  KEYWORD_COLUMNS,
  KEYWORD_SEPARATORS,
  keywordPrefixes,
  normalizeWord,
  PHONE_LIKE,
  plainKeyword,
  WORD_SEPARATORS,
  wordChanges,
  wordsOf,
} from './customer-words';

/** Columns a per-field filter may match the start of (phone by its digits). */
export type PrefixColumn =
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
  | 'reference';

/** Customers per INSERT or batched UPDATE: under SQLite's 32,766 parameters with every column set. */
const WRITE_CHUNK = 200;

/**
 * The per-field filters an index serves (migration 1733100000000): a search with one of them reads
 * that index's range of the merchant's entries instead of walking all its customers.
 */
export const PREFIX_INDEXES: Partial<Record<PrefixColumn, string>> = {
  lastname: 'idx_customers_prefix_lastname',
  email: 'idx_customers_prefix_email',
  company: 'idx_customers_prefix_company',
};

/** Word rows (5 parameters each) per INSERT into customer_words. */
const WORD_CHUNK = 1000;

/**
 * A keyword search with at most this many matches reads them all through the word table and
 * sorts them; with more, it walks the merchant's customers in page order instead, checking each
 * row, and the page fills early (README, "Search at a million customers", has the measurements).
 */
export const KEYWORD_SPARSE_MAX = 2000;

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

/** Where a page starts: after `skip` matches, or right after a given customer in created_at order. */
export type PageStart = { skip: number } | { after: Pick<Customer, 'id' | 'created_at'> };

/**
 * A search of one merchant's customers (README, "Listing and searching customers"). Column names
 * are typed as unions, never `string`: they become SQL identifiers (checked once more against the
 * entity's columns), and only values travel as parameters.
 */
export interface CustomerSearch {
  /** Column → text its value must start with (case-insensitive), all ANDed. */
  startsWith: readonly { column: PrefixColumn; text: string }[];
  /** Each must start a word of one of KEYWORD_COLUMNS (case-insensitive), all ANDed. */
  keywords: readonly string[];
  /** v0 `name`: the start of the first name, the last name or "first last". */
  name?: string;
  /** v0 `email`: the whole address, case-insensitive (compared with the stored email_key). */
  emailKey?: string;
  status?: Customer['status'];
  sort: SortColumn;
  order: 'ASC' | 'DESC';
  trashed: 'without' | 'with' | 'only';
  start: PageStart;
  take: number;
}

/** A page of a search, with the number of all matches: exact, or (`exact: false`) at least this many. */
export interface SearchPage {
  rows: Customer[];
  total: number;
  exact: boolean;
}

/** Characters a stored phone number may have besides its digits. */
const PHONE_PUNCTUATION = [' ', '-', '.', '(', ')', '+'];

/** LIKE with '!' as the escape character (the same on MySQL and SQLite), so % and _ are plain text. */
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (ch) => '!' + ch);
}

/** All SQL about customers (table `customers`). Every statement is scoped by merchant_id first. */
@Injectable()
export class CustomersRepository {
  private built?: {
    rows: EntityRows<Customer>;
    selectOne: string;
    where: string;
    counts: { rows: EntityRows<CustomerCount>; add: string; read: string };
    words: EntityRows<CustomerWord>;
  };

  constructor(private readonly db: DatabaseService) {}

  /**
   * The per-request statements (read one customer, update it) as plain SQL built once; see
   * EntityRows. Built on first use: entity metadata exists once the data source is up.
   */
  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, Customer);
      const where = `${rows.column('merchant_id')} = ? AND ${rows.column('id')} = ?`;
      const c = new EntityRows(this.db.dataSource, CustomerCount);
      const [live, deleted] = [c.column('live'), c.column('deleted')];
      const counts = {
        rows: c,
        add:
          c.insert(['merchant_id', 'live', 'deleted'], [{}]).sql +
          this.db.dialect.addOnConflict(c.column('merchant_id'), [live, deleted]),
        read: `SELECT ${live} AS live, ${deleted} AS deleted FROM ${c.table} WHERE ${c.column('merchant_id')} = ?`,
      };
      this.built = {
        rows,
        words: new EntityRows(this.db.dataSource, CustomerWord),
        where,
        selectOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${where}`,
        counts,
      };
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
    const { dialect } = this.db;
    const live = by === 'reference' ? ` AND ${rows.column('deleted_at')} IS NULL` : '';
    // By id: the primary key finds them, not the merchant's index (email and reference lead with merchant_id).
    const merchant = by === 'id' ? dialect.unindexed(rows.column('merchant_id')) : rows.column('merchant_id');
    const found = await tx.query(
      `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${merchant} = ? AND ${rows.column(by)} IN (${values.map(() => '?').join(', ')})${live}${dialect.forUpdate}`,
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

  /** Queues the INSERT of new customers (every column; WRITE_CHUNK rows a statement) in the transaction. */
  insert(tx: SqlTransaction, customers: Customer[]): void {
    const { rows } = this.sql;
    for (let i = 0; i < customers.length; i += WRITE_CHUNK) {
      const insert = rows.insert(rows.properties, customers.slice(i, i + WRITE_CHUNK));
      tx.defer(insert.sql, insert.params);
    }
  }

  /**
   * Queues the UPDATE of the given columns of customers of one merchant, in the transaction (each
   * customer at most once). One customer: a plain UPDATE. Several that change the same columns
   * (a bulk request's usual shape): one UPDATE for up to WRITE_CHUNK of them, each column set
   * with `CASE id WHEN … THEN … END`, the rows found by primary key.
   */
  update(tx: SqlTransaction, merchantId: string, updates: { id: string; values: Partial<Customer> }[]): void {
    const { rows, where } = this.sql;
    const groups = new Map<string, typeof updates>();
    for (const u of updates) {
      const key = Object.keys(u.values).join(',');
      const group = groups.get(key);
      if (group) group.push(u);
      else groups.set(key, [u]);
    }
    const id = rows.column('id');
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += WRITE_CHUNK) {
        const chunk = group.slice(i, i + WRITE_CHUNK);
        if (chunk.length === 1) {
          const set = rows.assignments(chunk[0].values);
          tx.defer(`UPDATE ${rows.table} SET ${set.sql} WHERE ${where}`, [
            ...set.params,
            merchantId,
            chunk[0].id,
          ]);
          continue;
        }
        const properties = Object.keys(chunk[0].values) as (keyof Customer)[];
        const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
        const set = properties.map((p) => `${rows.column(p)} = CASE ${id} ${cases} END`).join(', ');
        const params = properties.flatMap((p) =>
          chunk.flatMap((u) => [u.id, rows.values({ [p]: u.values[p] })[0]]),
        );
        tx.defer(
          `UPDATE ${rows.table} SET ${set} WHERE ${this.db.dialect.unindexed(rows.column('merchant_id'))} = ? AND ${id} IN (${chunk.map(() => '?').join(', ')})`,
          [...params, merchantId, ...chunk.map((u) => u.id)],
        );
      }
    }
  }

  /**
   * Queues a change of the merchant's customer counts (customer_counts): `live` and `deleted` are
   * added to the stored ones. Sent last in the write's transaction, so the counter row is locked
   * (MySQL) only for the COMMIT's round trip.
   */
  addToCounts(tx: SqlTransaction, merchantId: string, delta: { live: number; deleted: number }): void {
    if (delta.live === 0 && delta.deleted === 0) return;
    tx.defer(this.sql.counts.add, [merchantId, delta.live, delta.deleted]);
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
      const keyset = this.keyset('>', after);
      parts.push(keyset.sql);
      params.push(...keyset.params);
    }
    const found = await this.db.read(
      `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${parts.join(' AND ')} ORDER BY ${created}, ${id} LIMIT ?`,
      [...params, take],
    );
    return found.map((r) => rows.hydrate(r));
  }

  /**
   * One page of the search and the number of all matches. Every statement of a search (and of an
   * export page) goes through `db.read`: on SQLite a read worker, so a slow one never stalls
   * writes. A search with any filter counts up to `countLimit` + 1 matches and stops there (`exact: false`, total = countLimit); the plain list
   * of a merchant's customers is always counted exactly. Keywords without an indexed per-field
   * filter are looked up in the word table (searchByWords); one plain keyword alone is answered
   * by it (searchByWord).
   */
  async search(merchantId: string, s: CustomerSearch, countLimit: number): Promise<SearchPage> {
    const { rows } = this.sql;
    const word = this.trustedWord(s);
    if (word !== undefined) return this.searchByWord(merchantId, s, word, countLimit);
    const where = this.searchWhere(merchantId, s);
    if (!where.index && where.words) return this.searchByWords(merchantId, s, where.words, countLimit);
    const page = this.pageOf(s);
    const filtered = where.filtered;
    // A cursor page without an indexed filter reads the index in created_at order from the cursor
    // on. Named, and ids first: for SELECT * MariaDB chose to walk (merchant_id, deleted_at) from
    // the newest entry, reading every newer row (minutes at 1M customers, deep in the book).
    const index =
      where.index ??
      ('after' in s.start
        ? s.trashed === 'with'
          ? 'idx_customers_merchant_created'
          : 'idx_customers_merchant_live'
        : undefined);
    const from = rows.table + (index ? this.db.dialect.useIndex(index) : '');
    const pageWhere = `WHERE ${[where.sql, ...page.where].join(' AND ')} ORDER BY ${page.order} LIMIT ? OFFSET ?`;
    const pageParams = [...where.params, ...page.params, s.take, page.skip];
    const [found, n] = await Promise.all([
      index
        ? this.pageByIds(
            merchantId,
            `SELECT ${rows.column('id')} AS id FROM ${from} ${pageWhere}`,
            pageParams,
          )
        : this.db.read(`SELECT ${rows.selectList} FROM ${from} ${pageWhere}`, pageParams),
      filtered
        ? this.db
            .read<{ n: number | string }[]>(
              `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${where.index ? from : rows.table} WHERE ${where.sql} LIMIT ?) matches`,
              [...where.params, countLimit + 1],
            )
            .then((r) => Number(r[0].n))
        : this.counted(merchantId, s.trashed),
    ]);
    const exact = !filtered || n <= countLimit;
    return { rows: found.map((r) => rows.hydrate(r)), total: exact ? n : countLimit, exact };
  }

  /**
   * A keyword search through the word table. Its candidates are the customers with a word that
   * starts with one of `prefixes` (one range each of the primary key), each checked on its row
   * against the whole search, as any other plan checks it. First the capped count, through the
   * word table; then, with few matches (KEYWORD_SPARSE_MAX), the page from those matches, sorted;
   * with more, the page by walking the merchant's customers in page order, which fills early.
   */
  private async searchByWords(
    merchantId: string,
    s: CustomerSearch,
    prefixes: string[],
    countLimit: number,
  ): Promise<SearchPage> {
    const { rows, words } = this.sql;
    const { dialect } = this.db;
    const c = (property: string) => `c.${rows.column(property)}`;
    const where = this.searchWhere(merchantId, s, c);
    const ranges = prefixes.map((p) =>
      dialect.wordPrefix(`w.${words.column('word')}`, p, `${escapeLike(p)}%`),
    );
    const join =
      `FROM ${words.table} w ${dialect.joinLeftFirst} ${rows.table} c ON ${c('id')} = w.${words.column('customer_id')} ` +
      `WHERE w.${words.column('merchant_id')} = ? AND (${ranges.map((r) => `(${r.sql})`).join(' OR ')}) AND ${where.sql}`;
    const joinParams = [merchantId, ...ranges.flatMap((r) => r.params), ...where.params];
    const n = Number(
      (
        await this.db.read<{ n: number | string }[]>(
          `SELECT COUNT(*) AS n FROM (SELECT DISTINCT ${c('id')} ${join} LIMIT ?) matches`,
          [...joinParams, countLimit + 1],
        )
      )[0].n,
    );
    const exact = n <= countLimit;
    const total = exact ? n : countLimit;
    let found: Record<string, unknown>[];
    if (exact && n <= this.sparseMax) {
      const page = this.pageOf(s, c);
      const order = [c(s.sort), c('id')].filter((col, i, all) => all.indexOf(col) === i);
      found = await this.pageByIds(
        merchantId,
        `SELECT DISTINCT ${order.map((col, i) => `${col} AS ${i === order.length - 1 ? 'id' : `k${i}`}`).join(', ')} ` +
          `${join}${page.where.map((p) => ` AND ${p}`).join('')} ORDER BY ${page.order} LIMIT ? OFFSET ?`,
        [...joinParams, ...page.params, s.take, page.skip],
      );
    } else {
      found = await this.walk(merchantId, s);
    }
    return { rows: found.map((r) => rows.hydrate(r)), total, exact };
  }

  /** The sparse plan's limit (KEYWORD_SPARSE_MAX); the tests lower it to run both plans on a small book. */
  sparseMax = KEYWORD_SPARSE_MAX;

  /** Whether a plain keyword is answered from the word table alone; the tests turn it off to compare. */
  trustWords = true;

  /**
   * The word a search may take from the word table alone (searchByWord): exactly one keyword, a
   * plain one (plainKeyword), no other filter, in the default created_at order (either way, from a
   * page or a cursor). Any other search checks its keywords on the customers' rows.
   */
  private trustedWord(s: CustomerSearch): string | undefined {
    if (!this.trustWords || s.keywords.length !== 1 || s.sort !== 'created_at') return undefined;
    if (s.startsWith.length > 0 || s.name !== undefined || s.emailKey !== undefined) return undefined;
    if (s.status !== undefined) return undefined;
    return plainKeyword(s.keywords[0]);
  }

  /**
   * A search of one plain keyword, answered by the word table: its entries whose word starts with
   * `word`, of live or deleted customers as `trashed` says, read from the primary key's range alone
   * (created_at and the deleted flag are beside the key). The capped count counts their distinct
   * customers; when it is exact, the page's ids are those entries sorted by (created_at, id), then
   * 50 rows by primary key. Past the cap (a common word) the page walks the merchant's customers
   * in created_at order as searchByWords does, and fills early. The count and the sort run at
   * once (two connections, or two read workers on SQLite): a 1 % keyword at a million customers
   * has ~10,000 entries to read for each.
   */
  private async searchByWord(
    merchantId: string,
    s: CustomerSearch,
    word: string,
    countLimit: number,
  ): Promise<SearchPage> {
    const { rows, words } = this.sql;
    const col = (property: string) => words.column(property === 'id' ? 'customer_id' : property);
    const range = this.db.dialect.wordPrefix(col('word'), word, `${escapeLike(word)}%`);
    const parts = [`${col('merchant_id')} = ?`, range.sql];
    const params: unknown[] = [merchantId, ...range.params];
    if (s.trashed !== 'with') {
      parts.push(`${col('deleted')} = ?`);
      params.push(...words.values({ deleted: s.trashed === 'only' }));
    }
    const where = `FROM ${words.table} WHERE ${parts.join(' AND ')}`;
    const page = this.pageOf(s, col);
    // The count and the page's ids at once, each reading at most countLimit + 1 matches: the ids
    // are sorted from those, which are all of them whenever the count is exact (else unused).
    const [n, ids] = await Promise.all([
      this.db
        .read<{ n: number | string }[]>(
          `SELECT COUNT(*) AS n FROM (SELECT DISTINCT ${col('id')} ${where} LIMIT ?) matches`,
          [...params, countLimit + 1],
        )
        .then((r) => Number(r[0].n)),
      this.db
        .read<{ id: string }[]>(
          `SELECT ${col('id')} AS id FROM (SELECT DISTINCT ${col('created_at')}, ${col('id')} ${where}` +
            `${page.where.map((p) => ` AND ${p}`).join('')} LIMIT ?) matches ORDER BY ${page.order} LIMIT ? OFFSET ?`,
          [...params, ...page.params, countLimit + 1, s.take, page.skip],
        )
        .then((r) => r.map((x) => x.id)),
    ]);
    const exact = n <= countLimit;
    const found = exact ? await this.rowsByIds(merchantId, ids) : await this.walk(merchantId, s);
    return { rows: found.map((r) => rows.hydrate(r)), total: exact ? n : countLimit, exact };
  }

  /**
   * A keyword search's page when it has many matches: the merchant's customers in created_at order
   * through its live (or every-customer) index, each row checked; ordered otherwise, the database
   * sorts the matches as without keywords.
   */
  private walk(merchantId: string, s: CustomerSearch): Promise<Record<string, unknown>[]> {
    const { rows } = this.sql;
    const { dialect } = this.db;
    const plain = this.searchWhere(merchantId, s);
    const page = this.pageOf(s);
    const index =
      s.sort === 'created_at'
        ? s.trashed === 'with'
          ? 'idx_customers_merchant_created'
          : 'idx_customers_merchant_live'
        : undefined;
    return this.db.read(
      `SELECT ${rows.selectList} FROM ${rows.table}${index ? dialect.useIndex(index) : ''} ` +
        `WHERE ${[plain.sql, ...page.where].join(' AND ')} ORDER BY ${page.order} LIMIT ? OFFSET ?`,
      [...plain.params, ...page.params, s.take, page.skip],
    );
  }

  /**
   * Queues the word-table changes of written customers (customer-words.ts): all the words of a new
   * one (`before` null), the words that changed of an updated one, and the deleted flag of the
   * words it keeps when a soft delete or restore changes it. Deletes and flag updates one statement
   * per customer; inserts WORD_CHUNK rows a statement.
   */
  writeWords(
    tx: SqlTransaction,
    merchantId: string,
    changes: readonly { before: Customer | null; after: Customer }[],
  ): void {
    const { words } = this.sql;
    const added: unknown[] = [];
    const ofCustomer = (list: string[]) =>
      `${words.column('merchant_id')} = ? AND ${words.column('word')} IN (${list.map(() => '?').join(', ')}) AND ${words.column('customer_id')} = ?`;
    for (const { before, after } of changes) {
      const now = wordsOf(after);
      const change = wordChanges(before ? wordsOf(before) : new Set(), now);
      const [createdAt, deleted] = words.values({
        created_at: after.created_at,
        deleted: after.deleted_at !== null,
      });
      for (const w of change.added) added.push(merchantId, w, after.id, createdAt, deleted);
      if (change.removed.length > 0) {
        tx.defer(`DELETE FROM ${words.table} WHERE ${ofCustomer(change.removed)}`, [
          merchantId,
          ...change.removed,
          after.id,
        ]);
      }
      const flagged = before !== null && (before.deleted_at === null) !== (after.deleted_at === null);
      // Only a soft delete or restore changes the flag: most writes need not list the kept words.
      const kept = flagged ? [...now].filter((w) => !change.added.includes(w)) : [];
      if (kept.length > 0) {
        tx.defer(`UPDATE ${words.table} SET ${words.column('deleted')} = ? WHERE ${ofCustomer(kept)}`, [
          deleted,
          merchantId,
          ...kept,
          after.id,
        ]);
      }
    }
    const columns = ['merchant_id', 'word', 'customer_id', 'created_at', 'deleted'];
    const one = `(${columns.map(() => '?').join(', ')})`;
    for (let i = 0; i < added.length; i += WORD_CHUNK * columns.length) {
      const chunk = added.slice(i, i + WORD_CHUNK * columns.length);
      // IGNORE: a word already there (written by a run of the backfill racing this write) is no error.
      tx.defer(
        `${this.db.dialect.insertIgnore} INTO ${words.table} (${columns.map((p) => words.column(p)).join(', ')}) VALUES ${new Array(chunk.length / columns.length).fill(one).join(', ')}`,
        chunk,
      );
    }
  }

  /**
   * A page read in two steps: its ids from an index alone (`idsSql`), then their rows by primary
   * key, in the ids' order. MariaDB otherwise reads the full row of every match before sorting.
   */
  private async pageByIds(
    merchantId: string,
    idsSql: string,
    params: unknown[],
  ): Promise<Record<string, unknown>[]> {
    const ids = (await this.db.read<{ id: string }[]>(idsSql, params)).map((r) => r.id);
    return this.rowsByIds(merchantId, ids);
  }

  /** The rows of these customers by primary key, in the ids' order. */
  private async rowsByIds(merchantId: string, ids: string[]): Promise<Record<string, unknown>[]> {
    const { rows } = this.sql;
    if (ids.length === 0) return [];
    const found = await this.db.read(
      `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${this.db.dialect.unindexed(rows.column('merchant_id'))} = ? AND ${rows.column('id')} IN (${ids.map(() => '?').join(', ')})`,
      [merchantId, ...ids],
    );
    const byId = new Map(found.map((r) => [r.id as string, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [row] : [];
    });
  }

  /** The merchant's customers, live, deleted or both, from customer_counts (exact, one row). */
  private async counted(merchantId: string, trashed: CustomerSearch['trashed']): Promise<number> {
    const found = await this.db.read<{ live: number | string; deleted: number | string }[]>(
      this.sql.counts.read,
      [merchantId],
    );
    const [live, deleted] = found.length > 0 ? [Number(found[0].live), Number(found[0].deleted)] : [0, 0];
    return trashed === 'without' ? live : trashed === 'only' ? deleted : live + deleted;
  }

  /** `col` names a customers column in the statement (qualified when customers is joined). */
  private pageOf(
    s: CustomerSearch,
    col: (property: string) => string = (p) => this.sql.rows.column(p),
  ): { where: string[]; params: unknown[]; order: string; skip: number } {
    const order = `${col(s.sort)} ${s.order}, ${col('id')} ${s.order}`;
    if ('skip' in s.start) return { where: [], params: [], order, skip: s.start.skip };
    // Keyset on (created_at, id): the next page starts right after the given customer.
    const [createdAt, id] = [col('created_at'), col('id')];
    const keyset = this.keyset(s.order === 'DESC' ? '<' : '>', s.start.after, col);
    return {
      where: [keyset.sql],
      params: keyset.params,
      order: `${createdAt} ${s.order}, ${id} ${s.order}`,
      skip: 0,
    };
  }

  /**
   * The customers after `from` in (created_at, id) order (`cmp` '>' ascending, '<' descending).
   * The leading `created_at <=` (or >=) repeats what the OR says so that MariaDB reads it as a range
   * of the index from the cursor on; without it, it walked the index from its end (10 ms of
   * database CPU per page at 10k customers).
   */
  private keyset(
    cmp: '<' | '>',
    from: Pick<Customer, 'id' | 'created_at'>,
    col: (property: string) => string = (p) => this.sql.rows.column(p),
  ): { sql: string; params: unknown[] } {
    const { rows } = this.sql;
    const [createdAt, id] = [col('created_at'), col('id')];
    const [at] = rows.values({ created_at: from.created_at });
    return {
      sql: `${createdAt} ${cmp}= ? AND (${createdAt} ${cmp} ? OR (${createdAt} = ? AND ${id} ${cmp} ?))`,
      params: [at, at, at, from.id],
    };
  }

  /**
   * The search's conditions on a customer's row. `index`: the prefix index of the first per-field
   * filter one serves; `words`: the word-table prefixes likely to have the fewest candidates (the
   * ones whose shortest prefix is longest), of a keyword or of a filter on a keyword column without
   * its own index (first name, phone, reference, v0 name): a value that starts with the filter's
   * text has a word starting with each of its parts, so the table finds every match.
   */
  private searchWhere(
    merchantId: string,
    s: CustomerSearch,
    col: (property: string) => string = (p) => this.sql.rows.column(p),
  ): { sql: string; params: unknown[]; filtered: boolean; index?: string; words?: string[] } {
    let index: string | undefined;
    let words: string[] | undefined;
    const shortest = (prefixes: string[]) => Math.min(...prefixes.map((p) => [...p].length));
    const candidates = (prefixes: string[]) => {
      if (prefixes.length > 0 && (!words || shortest(prefixes) > shortest(words))) words = prefixes;
    };
    const parts = [`${col('merchant_id')} = ?`];
    const params: unknown[] = [merchantId];
    if (s.trashed === 'without') parts.push(`${col('deleted_at')} IS NULL`);
    if (s.trashed === 'only') parts.push(`${col('deleted_at')} IS NOT NULL`);
    const base = parts.length;
    const add = (sql: string, ...values: unknown[]) => {
      parts.push(sql);
      params.push(...values);
    };
    for (const { column, text } of s.startsWith) {
      // A phone filter without a digit has nothing to compare: it matches no one.
      if (column === 'phone' && digitsOf(text) === '') add('1 = 0');
      else if (column === 'phone') {
        add(`${this.phoneDigits(col)} LIKE ? ESCAPE '!'`, `${digitsOf(text)}%`);
        candidates([normalizeWord(digitsOf(text))]);
      } else {
        const pattern = `${escapeLike(text)}%`;
        // The first filter an index serves picks the rows: its range, then the exact check.
        if (!index && PREFIX_INDEXES[column]) {
          index = PREFIX_INDEXES[column];
          const range = this.db.dialect.prefixRange(col(column), text, pattern);
          add(range.sql, ...range.params);
        } else if (isKeywordColumn(column)) candidates(keywordPrefixes(text));
        add(this.startsWith(col(column)), pattern);
      }
    }
    for (const raw of s.keywords) {
      // Separators in a keyword match separators in the text: "smith.j" finds smith.j@example.com.
      const keyword = raw.replace(KEYWORD_SEPARATORS, ' ').replace(/^ +| +$/g, '');
      if (keyword === '') continue;
      candidates(keywordPrefixes(raw));
      const alternatives = KEYWORD_COLUMNS.filter((c) => c !== 'phone').map((c) =>
        this.startsWith(this.wordsOf(col(c))),
      );
      const values: unknown[] = alternatives.map(() => `% ${escapeLike(keyword)}%`);
      // A keyword of digits (punctuated as a phone number may be) also matches the phone's digits.
      const digits = digitsOf(raw);
      if (digits !== '' && PHONE_LIKE.test(raw)) {
        alternatives.push(`${this.phoneDigits(col)} LIKE ? ESCAPE '!'`);
        values.push(`${digits}%`);
      }
      add(`(${alternatives.join(' OR ')})`, ...values);
    }
    if (s.name !== undefined) {
      const [first, last] = [col('firstname'), col('lastname')];
      const full = this.db.dialect.concat(first, "' '", last);
      const pattern = `${escapeLike(s.name)}%`;
      candidates(keywordPrefixes(s.name));
      add(`(${[first, last, full].map((c) => this.startsWith(c)).join(' OR ')})`, pattern, pattern, pattern);
    }
    if (s.emailKey !== undefined) add(`${col('email_key')} = ?`, s.emailKey);
    if (s.status !== undefined) add(`${col('status')} = ?`, s.status);
    // An exact email is one entry of its unique index: no word candidates beat that.
    if (s.emailKey !== undefined) words = undefined;
    return { sql: parts.join(' AND '), params, filtered: parts.length > base, index, words };
  }

  /** Case-insensitive "starts with" of a text expression against a `?` LIKE pattern. */
  private startsWith(expr: string): string {
    return `LOWER(${expr}) LIKE ${this.db.dialect.binary('LOWER(?)')} ESCAPE '!'`;
  }

  /** The text with a space before it and every word separator turned into a space. */
  private wordsOf(expr: string): string {
    let out = expr;
    for (const sep of WORD_SEPARATORS) if (sep !== ' ') out = `REPLACE(${out}, '${sep}', ' ')`;
    return this.db.dialect.concat("' '", out);
  }

  /** The stored phone number's digits. */
  private phoneDigits(col: (property: string) => string): string {
    let out = col('phone');
    for (const ch of PHONE_PUNCTUATION) out = `REPLACE(${out}, '${ch}', '')`;
    return out;
  }
}
