/**
 * Every statement of a list request is served by an index (issue 12), checked with the database's
 * own EXPLAIN on both SQLite and MySQL/MariaDB: the per-field filters read their prefix index's
 * range (ids first, then rows by primary key), the exact v0 email its unique index, the
 * unfiltered list and the cursor the live index, the unfiltered total one row of customer_counts.
 * The book is a few thousand customers of one merchant among two, with fresh statistics.
 */
import { randomUUID } from 'node:crypto';
import type { Customer } from '../src/customers/customer.entity';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import { http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

const BOOK = 3000;
const LAST = ['Smith', 'Jones', 'Brown', 'Garcia', 'Miller', 'Davis', 'Wilson', 'Moore', 'Taylor', 'Lee'];

/** What EXPLAIN says about one statement: each table read, how, and through which index. */
interface Access {
  table: string;
  index: string | null;
  scan: boolean;
  detail: string;
}

describe('search plans', () => {
  let t: TestApp;
  let db: DatabaseService;
  let m: TestMerchant;
  let target: Customer;
  const mine = new Set<string>();

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0', WEBHOOK_WORKER: 'false', LIST_COUNT_LIMIT: '1000' });
    db = t.app.get(DatabaseService);
    m = await newMerchant(t);
    const other = await newMerchant(t);
    const repo = t.app.get(CustomersRepository);
    const start = Date.now() - BOOK * 1000;
    for (const merchant of [m.merchantId, other.merchantId]) {
      await db.transaction(async (tx) => {
        for (let i = 0; i < BOOK; i++) {
          const at = new Date(start + i * 1000);
          const email = `${LAST[i % 10].toLowerCase()}.${i}.${randomUUID()}@example.com`;
          const c = {
            id: randomUUID(),
            merchant_id: merchant,
            firstname: `First${i % 97}`,
            lastname: `${LAST[i % 10]}${i % 100 === 0 ? 'son' : ''}`,
            company: i % 3 === 0 ? `Company ${i % 50}` : null,
            email,
            email_key: email,
            phone: null,
            status: 'ACTIVE',
            version: 1,
            last_spent: 0,
            allow_invoice_credit_card_payments: true,
            customer_type: 'Individual',
            created_at: at,
            updated_at: at,
            deleted_at: i % 50 === 0 ? at : null,
          } as unknown as Customer;
          if (c.deleted_at) c.email_key = null;
          if (merchant === m.merchantId) mine.add(c.id);
          if (merchant === m.merchantId && i === BOOK / 2 + 1) target = c;
          repo.insert(tx, [c]);
          repo.writeWords(tx, merchant, [{ before: null, after: c }]);
        }
        repo.addToCounts(tx, merchant, { live: BOOK - BOOK / 50, deleted: BOOK / 50 });
        return Promise.resolve();
      });
    }
    await db.query(db.dialect.kind === 'mysql' ? 'ANALYZE TABLE customers, customer_words' : 'ANALYZE');
  });
  afterAll(() => t.close());

  /** The statements a list request sends (through `query` or `read`), with their parameters, in order. */
  async function statementsOf(query: string, v0 = false): Promise<[string, unknown[]][]> {
    const spies = [jest.spyOn(db, 'query'), jest.spyOn(db, 'read')];
    try {
      const req = v0
        ? http(t).get(`/api/v0/customers?${query}`).set(m.keyPair)
        : http(t).get(`/customer?${query}`).set(m.bearer);
      await req.expect(200);
      return spies
        .flatMap((spy) =>
          spy.mock.calls.map((c, i) => ({
            order: spy.mock.invocationCallOrder[i],
            call: [c[0], c[1] ?? []],
          })),
        )
        .sort((a, b) => a.order - b.order)
        .map((c) => c.call as [string, unknown[]]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  async function explain(sql: string, params: unknown[]): Promise<Access[]> {
    if (db.dialect.kind === 'mysql') {
      const rows = await db.query<
        { table: string; type: string; key: string | null; Extra: string | null }[]
      >(`EXPLAIN ${sql}`, params);
      return rows
        .filter((r) => r.table !== null && !r.table.startsWith('<'))
        .map((r) => ({
          table: r.table,
          index: r.key,
          scan: r.type === 'ALL' || r.type === 'index',
          detail: `${r.type} ${r.key} ${r.Extra ?? ''}`,
        }));
    }
    const rows = await db.query<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows
      .map((r) =>
        /^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+)| USING (INTEGER )?PRIMARY KEY)?/.exec(
          r.detail,
        ),
      )
      .filter((x): x is RegExpExecArray => x !== null && x[2] !== 'matches')
      .map((x) => ({
        table: x[2],
        index: x[3] ?? (x[0].includes('PRIMARY') ? 'PRIMARY' : null),
        scan: x[1] === 'SCAN',
        detail: x.input,
      }));
  }

  /** The index each statement of the request reads `customers` (or customer_counts) through. */
  async function plans(query: string, v0 = false): Promise<{ sql: string; access: Access[] }[]> {
    const out = [];
    for (const [sql, params] of await statementsOf(query, v0)) {
      if (!/^SELECT/.test(sql) || /FROM .?(merchants|api_keys)/.test(sql)) continue;
      out.push({ sql, access: await explain(sql, params) });
    }
    return out;
  }

  function indexes(p: { access: Access[] }[]): string[] {
    return p.map((s) => s.access.map((a) => `${a.table}:${a.scan ? 'SCAN' : a.index}`).join(' '));
  }

  it.each(['lastname', 'email', 'company'])(
    'a %s filter reads its prefix index for the page and the count, then rows by primary key',
    async (field) => {
      const value = { lastname: 'smi', email: 'smith.1', company: 'company 1' }[field];
      const p = await plans(`${field}=${encodeURIComponent(value!)}`);
      const idx = `idx_customers_prefix_${field}`;
      const pk = db.dialect.kind === 'mysql' ? 'PRIMARY' : 'sqlite_autoindex_customers_1';
      expect(indexes(p).sort()).toEqual([`customers:${idx}`, `customers:${idx}`, `customers:${pk}`].sort());
    },
  );

  const pk = () => (db.dialect.kind === 'mysql' ? 'PRIMARY' : 'sqlite_autoindex_customers_1');
  const counts = () => (db.dialect.kind === 'mysql' ? 'PRIMARY' : 'sqlite_autoindex_customer_counts_1');

  it("a Stax email filter with a whole address reads the email prefix index; v0's exact email the unique index", async () => {
    const stax = await plans(`email=${encodeURIComponent(target.email!.toUpperCase())}`);
    expect(indexes(stax)).toEqual([
      'customers:idx_customers_prefix_email',
      'customers:idx_customers_prefix_email',
      `customers:${pk()}`,
    ]);
    const v0 = await plans(`email=${encodeURIComponent(target.email!.toUpperCase())}`, true);
    expect(indexes(v0)).toEqual([
      'customers:uq_customers_merchant_email',
      'customers:uq_customers_merchant_email',
    ]);
    // With a name as well, still that index (not the name's word-table candidates).
    const named = await plans(
      `name=${encodeURIComponent(target.firstname!)}&email=${encodeURIComponent(target.email!)}`,
      true,
    );
    expect(indexes(named)).toEqual([
      'customers:uq_customers_merchant_email',
      'customers:uq_customers_merchant_email',
    ]);
  });

  it('the unfiltered list reads a live index for the page and one customer_counts row for the total', async () => {
    for (const query of ['per_page=5', 'page=3&per_page=5']) {
      const [page, total] = await plans(query);
      expect(page.access).toHaveLength(1);
      expect(page.access[0].scan).toBe(false);
      expect(['idx_customers_merchant_live', 'idx_customers_merchant_created']).toContain(
        page.access[0].index,
      );
      expect(indexes([total])).toEqual([`customer_counts:${counts()}`]);
    }
  });

  it.each([
    ['', 'idx_customers_merchant_live'],
    ['&trashed=with', 'idx_customers_merchant_created'],
    ['&trashed=with&order=asc', 'idx_customers_merchant_created'],
  ])(
    'a cursor page%s reads the ids from %s from the cursor on, then rows by primary key',
    async (more, idx) => {
      // The rows by primary key come last: the count is sent while the ids are read.
      const [from, page, total, found] = await plans(`after=${target.id}${more}`);
      expect(indexes([from])).toEqual([`customers:${pk()}`]);
      expect(page.access.length).toBeGreaterThan(0);
      for (const a of page.access) {
        expect(a.index).toBe(idx);
        expect(a.detail).toMatch(/range|created_at[<>=]/);
      }
      expect(indexes([found])).toEqual([`customers:${pk()}`]);
      expect(indexes([total])).toEqual([`customer_counts:${counts()}`]);
    },
  );

  it("the prefix path finds only the merchant's own customers (the other has the same names)", async () => {
    const res = await http(t).get('/customer?lastname=smi&per_page=100').set(m.bearer).expect(200);
    // Smith every 10th, Smithson every 100th, every 50th deleted: 300 - 60 live.
    expect(res.body).toMatchObject({ total: 240, total_relation: 'eq' });
    const ids = (res.body.data as { id: string }[]).map((c) => c.id);
    expect(ids).toHaveLength(100);
    expect(ids.every((id) => mine.has(id))).toBe(true);
    const unfiltered = await http(t).get('/customer?per_page=1').set(m.bearer).expect(200);
    expect(unfiltered.body).toMatchObject({ total: BOOK - BOOK / 50, total_relation: 'eq' });
  });

  const wordsPk = () => 'PRIMARY'; // MySQL's clustered key; SQLite's WITHOUT ROWID table, "USING PRIMARY KEY"

  const words = () => (db.dialect.kind === 'mysql' ? '`customer_words`' : '"customer_words"');

  it.each([
    'keywords[]=first1',
    'keywords[]=First1&trashed=only',
    'keywords[]=first1&trashed=with',
    `keywords[]=first1&after={target}`,
    `keywords[]=first1&order=asc`,
  ])(
    'one plain keyword with few matches (%s): count and page ids from a range of customer_words alone, then rows by primary key',
    async (query) => {
      const p = await plans(query.replace('{target}', target.id));
      const [count, ids, rows] = p.slice(-3);
      for (const s of [count, ids]) {
        expect(s.sql).toContain(`FROM ${words()} WHERE`);
        expect(indexes([s])).toEqual([`customer_words:${wordsPk()}`]);
        for (const a of s.access) expect(a.detail).toMatch(/range|word>/);
      }
      expect(indexes([rows])).toEqual([`customers:${pk()}`]);
    },
  );

  it.each([
    ['', 'idx_customers_merchant_live'],
    ['&trashed=with', 'idx_customers_merchant_created'],
  ])(
    'one plain keyword with many matches%s: the capped count from customer_words alone, the page from %s in created_at order',
    async (more, idx) => {
      // 2,940 live matches, with the count capped at 1,000 here: past the cap. The ids sorted
      // beside the count (from at most 1,001 entries) go unused.
      const [count, ids, page] = await plans(`keywords[]=example${more}`);
      for (const s of [count, ids]) {
        expect(indexes([s])).toEqual([`customer_words:${wordsPk()}`]);
        expect(s.access[0].detail).toMatch(/range|word>/);
      }
      expect(indexes([page])).toEqual([`customers:${idx}`]);
      expect(page.access[0].detail).not.toMatch(/TEMP B-TREE|filesort/i);
    },
  );

  it('one plain keyword past the count cap answers as the general path: total 1,000 (gte), the same page', async () => {
    const repo = t.app.get(CustomersRepository);
    const page = async () =>
      (await http(t).get('/customer?keywords[]=example&per_page=20').set(m.bearer).expect(200)).body as {
        data: { id: string }[];
        total: number;
        total_relation: string;
      };
    const trusted = await page();
    repo.trustWords = false;
    try {
      const general = await page();
      expect(trusted).toMatchObject({ total: 1000, total_relation: 'gte' });
      expect([trusted.total, trusted.total_relation]).toEqual([general.total, general.total_relation]);
      expect(trusted.data.map((c) => c.id)).toEqual(general.data.map((c) => c.id));
    } finally {
      repo.trustWords = true;
    }
  });

  describe('the general keyword path (the word table picks candidates, their rows are checked)', () => {
    let repo: CustomersRepository;
    beforeAll(() => {
      repo = t.app.get(CustomersRepository);
    });
    afterEach(() => {
      repo.trustWords = true;
    });

    it.each([
      ['keywords[]=first1', false],
      ['keywords[]=first1&sort=lastname&order=asc', true],
      [`keywords[]=first1&after={target}`, false],
      ['keywords[]=first1&keywords[]=smith', true],
      ['keywords[]=first1&firstname=first', true],
      // A first-name filter (no index of its own) picks its candidates the same way.
      ['firstname=first1', true],
    ])(
      'a keyword with few matches (%s): count and page through a range of customer_words, each customer by primary key',
      async (query, general) => {
        repo.trustWords = general; // a search the trusted path never takes, or the path turned off
        const p = await plans(query.replace('{target}', target.id));
        const [count, ids, rows] = p.slice(-3);
        for (const s of [count, ids]) {
          expect(s.sql).toContain(`FROM ${words()} w`);
          expect(indexes([s])).toEqual([`w:${wordsPk()} c:${pk()}`]);
        }
        expect(indexes([rows])).toEqual([`customers:${pk()}`]);
        for (const a of [...count.access, ...ids.access]) expect(a.scan).toBe(false);
      },
    );

    it.each([
      ['', 'idx_customers_merchant_live'],
      ['&trashed=with', 'idx_customers_merchant_created'],
    ])(
      'a keyword with many matches%s: the capped count through customer_words, the page from %s in created_at order',
      async (more, idx) => {
        repo.trustWords = false;
        // 2,940 live matches: more than KEYWORD_SPARSE_MAX.
        const [count, page] = await plans(`keywords[]=example${more}`);
        expect(indexes([count])).toEqual([`w:${wordsPk()} c:${pk()}`]);
        expect(indexes([page])).toEqual([`customers:${idx}`]);
        expect(page.access[0].detail).not.toMatch(/TEMP B-TREE|filesort/i);
      },
    );
  });

  it('a phone-like keyword reads two ranges of customer_words (its longest part, its digits), not the whole table', async () => {
    const [count] = await plans(`keywords[]=${encodeURIComponent('(407) 555')}`);
    // SQLite reads each range on its own (MULTI-INDEX OR); MySQL one range access of both.
    expect([...new Set(count.access.map((a) => a.table))].sort()).toEqual(['c', 'w']);
    for (const a of count.access) expect(a.scan).toBe(false);
    for (const a of count.access.filter((x) => x.table === 'w')) expect(a.index).toBe(wordsPk());
  });

  it("the keyword path finds only the merchant's own customers (the other has the same words)", async () => {
    const res = await http(t).get('/customer?keywords[]=smith&per_page=100').set(m.bearer).expect(200);
    expect(res.body).toMatchObject({ total: 240, total_relation: 'eq' });
    const ids = (res.body.data as { id: string }[]).map((c) => c.id);
    expect(ids.every((id) => mine.has(id))).toBe(true);
  });
});
