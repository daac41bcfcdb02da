/**
 * Keywords through the word table (README, "Listing and searching customers"): every write keeps a
 * customer's words with its created_at and deleted state (create, PUT, PATCH, bulk, soft delete and
 * restore; the import in migration-cli.e2e-spec.ts), and every plan of a keyword search (one plain
 * keyword answered by the word table alone; otherwise few matches read and sorted through the word
 * table, many the created_at walk) answers what the keyword rule says. On both databases.
 */
import { randomUUID } from 'node:crypto';
import { KEYWORD_COLUMNS, wordsOf } from '../src/customers/customer-words';
import type { Customer } from '../src/customers/customer.entity';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

type Row = Record<string, unknown> & { id: string };

describe('keywords through the word table', () => {
  let t: TestApp;
  let db: DatabaseService;
  let repo: CustomersRepository;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0', WEBHOOK_WORKER: 'false' });
    db = t.app.get(DatabaseService);
    repo = t.app.get(CustomersRepository);
  });
  afterAll(() => t.close());

  const search = async (m: TestMerchant, query: string) =>
    (await http(t).get(`/customer?${query}`).set(m.bearer).expect(200)).body as {
      data: Row[];
      total: number;
      total_relation: string;
    };
  /** The same search with the word table's answer not trusted: every match checked on its row. */
  const searchGeneral = async (m: TestMerchant, query: string) => {
    repo.trustWords = false;
    try {
      return await search(m, query);
    } finally {
      repo.trustWords = true;
    }
  };
  const idsFor = async (m: TestMerchant, keyword: string) =>
    (await search(m, `keywords[]=${encodeURIComponent(keyword)}&per_page=200`)).data.map((c) => c.id).sort();

  /** The stored words of a customer are the words its current fields have, with its created_at and deleted state. */
  async function wordsAgree(m: TestMerchant, id: string): Promise<void> {
    const stored = await db.query<{ word: string; created_at: unknown; deleted: unknown }[]>(
      'SELECT word, created_at, deleted FROM customer_words WHERE merchant_id = ? AND customer_id = ?',
      [m.merchantId, id],
    );
    const c = (await repo.findOne(m.merchantId, id))!;
    const fields = Object.fromEntries(KEYWORD_COLUMNS.map((k) => [k, c[k] ?? null]));
    expect(stored.map((r) => r.word).sort()).toEqual([...wordsOf(fields as unknown as Customer)].sort());
    for (const r of stored) {
      const at = r.created_at instanceof Date ? r.created_at : new Date(`${String(r.created_at)}Z`);
      expect([at.getTime(), Number(r.deleted)]).toEqual([c.created_at.getTime(), c.deleted_at ? 1 : 0]);
    }
  }

  it('PUT and PATCH: a changed word stops matching, the new one matches, a word kept elsewhere still matches', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, {
      firstname: 'Quentin',
      lastname: 'Oddly',
      email: null,
      notes: 'quentin fan club',
    });
    await createStaxCustomer(t, m, { firstname: 'Other', lastname: 'Person', email: null });
    expect(await idsFor(m, 'quentin')).toEqual([c.id]);
    await wordsAgree(m, c.id);

    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Rupert' }).expect(200);
    expect(await idsFor(m, 'rupert')).toEqual([c.id]);
    expect(await idsFor(m, 'quentin')).toEqual([c.id]); // still in the notes
    await wordsAgree(m, c.id);

    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ notes: 'nothing here' }).expect(200);
    expect(await idsFor(m, 'quentin')).toEqual([]);
    expect(await idsFor(m, 'nothing')).toEqual([c.id]);

    await http(t)
      .patch(`/api/v0/customers/${c.id}`)
      .set(m.keyPair)
      .send({ first_name: 'Xavier' })
      .expect(200);
    expect(await idsFor(m, 'xavier')).toEqual([c.id]);
    expect(await idsFor(m, 'rupert')).toEqual([]);
    await wordsAgree(m, c.id);

    // A phone number's digits are one word: a new number replaces it.
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ phone: '+1 (407) 555-0100' }).expect(200);
    expect(await idsFor(m, '1407555')).toEqual([c.id]);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ phone: '312-555-0199' }).expect(200);
    expect(await idsFor(m, '1407555')).toEqual([]);
    expect(await idsFor(m, '(312) 555')).toEqual([c.id]);
    await wordsAgree(m, c.id);
  });

  it('bulk creates and updates keep the words, also of a customer two items of one batch change', async () => {
    const m = await newMerchant(t);
    const old = await createStaxCustomer(t, m, { firstname: 'Bulkold', email: null });
    const res = await http(t)
      .post('/customer/bulk')
      .set(m.bearer)
      .send({
        items: [
          { firstname: 'Bulknew', lastname: 'Alpha', email: `bulk.${randomUUID()}@example.com` },
          { id: old.id, firstname: 'Bulkrenamed' },
          { firstname: 'Twice', company: 'Firstco' },
        ],
      })
      .expect(200);
    const made = (res.body as { results: { customer: Row }[] }).results.map((i) => i.customer);
    expect(await idsFor(m, 'bulknew')).toEqual([made[0].id]);
    expect(await idsFor(m, 'bulkold')).toEqual([]);
    expect(await idsFor(m, 'bulkrenamed')).toEqual([old.id]);
    const v0 = await http(t)
      .post('/api/v0/customers/bulk')
      .set(m.keyPair)
      .send({
        items: [
          { id: made[2].id, email: `secondco.${randomUUID()}@example.com` },
          { id: made[0].id, last_name: 'Beta' },
          { id: made[0].id, first_name: 'Gamma' },
        ],
      })
      .expect(200);
    expect((v0.body as { results: { status: number }[] }).results.map((i) => i.status)).toEqual([
      200, 200, 200,
    ]);
    expect(await idsFor(m, 'firstco')).toEqual([made[2].id]);
    expect(await idsFor(m, 'secondco')).toEqual([made[2].id]);
    expect(await idsFor(m, 'alpha')).toEqual([]);
    expect(await idsFor(m, 'beta')).toEqual([made[0].id]);
    expect(await idsFor(m, 'gamma')).toEqual([made[0].id]);
    expect(await idsFor(m, 'bulknew')).toEqual([]);
    for (const id of [old.id, made[0].id, made[2].id]) await wordsAgree(m, id);
  });

  it('a soft-deleted customer is not found (trashed=with finds it); restored, it is again', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { firstname: 'Lazarus', email: null });
    const kept = await createStaxCustomer(t, m, { firstname: 'Lazarus', lastname: 'Alive', email: null });
    const [plain, general] = [(q: string) => search(m, q), (q: string) => searchGeneral(m, q)];
    await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
    await wordsAgree(m, c.id);
    for (const find of [plain, general]) {
      expect((await find('keywords[]=lazarus')).data.map((r) => r.id)).toEqual([kept.id]);
      const all = await find('keywords[]=lazarus&trashed=with');
      expect(all.data.map((r) => r.id).sort()).toEqual([c.id, kept.id].sort());
      expect(all).toMatchObject({ total: 2, total_relation: 'eq' });
      const only = await find('keywords[]=lazarus&trashed=only');
      expect(only.data.map((r) => r.id)).toEqual([c.id]);
      expect(only).toMatchObject({ total: 1, total_relation: 'eq' });
    }
    await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).expect(200);
    await wordsAgree(m, c.id);
    for (const find of [plain, general]) {
      expect((await find('keywords[]=lazarus')).data.map((r) => r.id).sort()).toEqual([c.id, kept.id].sort());
      expect((await find('keywords[]=lazarus&trashed=only')).data).toEqual([]);
    }
    // A customer changed while deleted cannot be (404), so its words keep their flag until the restore.
    await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Other' }).expect(404);
    await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).expect(200);
    await wordsAgree(m, c.id);
  });

  it('a word longer than the table keeps (cut short there) and letters outside ASCII still match whole', async () => {
    const m = await newMerchant(t);
    const long = `Pneumonoultramicroscopicsilicovolcanoconiosis${'İ'.repeat(40)}`;
    const c = await createStaxCustomer(t, m, { firstname: 'Zoë', email: null, notes: `said ${long}` });
    await createStaxCustomer(t, m, { firstname: 'Other', email: null, notes: `said ${long.slice(0, 40)}x` });
    expect(await idsFor(m, long)).toEqual([c.id]);
    expect(await idsFor(m, 'ZOË')).toEqual([c.id]);
    await wordsAgree(m, c.id);
  });

  it('a plain keyword compares letters as the service lower-cases them, as the general path does', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { firstname: 'Ann', notes: 'İstanbul', email: null });
    // JavaScript lower-cases İ to i and a combining dot (MariaDB's LOWER to a plain i): the stored word.
    expect(await idsFor(m, 'istanbul')).toEqual([]);
    expect((await searchGeneral(m, 'keywords[]=istanbul')).data).toEqual([]);
    expect(await idsFor(m, 'İstanbul')).toEqual([c.id]); // not plain: checked on the row
  });

  it("another merchant's words never match, nor count, live or deleted", async () => {
    const [m, other] = [await newMerchant(t), await newMerchant(t)];
    const mine = await createStaxCustomer(t, m, { firstname: 'Tenantword', email: null });
    for (let i = 0; i < 3; i++) {
      const theirs = await createStaxCustomer(t, other, { firstname: 'Tenantword', email: null });
      if (i === 0) await http(t).delete(`/customer/${theirs.id}`).set(other.bearer).expect(200);
    }
    for (const find of [search, searchGeneral]) {
      const page = await find(m, 'keywords[]=tenantword');
      expect(page.data.map((c) => c.id)).toEqual([mine.id]);
      expect(page).toMatchObject({ total: 1, total_relation: 'eq' });
      expect(await find(m, 'keywords[]=tenantword&trashed=with')).toMatchObject({ total: 1 });
      expect(await find(m, 'keywords[]=tenantword&trashed=only')).toMatchObject({ total: 0, data: [] });
    }
  });

  describe('the two plans answer the same', () => {
    let m: TestMerchant;
    const made: Row[] = [];
    const LAST = ['Smith', 'Smithson', 'Goldsmith', 'Jones', 'Brown'];
    beforeAll(async () => {
      m = await newMerchant(t);
      for (let i = 0; i < 40; i++) {
        made.push(
          await createStaxCustomer(t, m, {
            firstname: i % 7 === 0 ? 'John' : `Name${i}`,
            lastname: LAST[i % LAST.length],
            email: `${['j.smith', 'ann', 'smith_k', 'bob'][i % 4]}.${i}@${i % 3 === 0 ? 'gmail' : 'example'}.com`,
            company: i % 5 === 0 ? 'Smith & Co' : null,
            phone: i % 6 === 0 ? `+1 (407) 555-01${String(i).padStart(2, '0')}` : null,
            notes: i % 8 === 0 ? 'met at the\nsmithy fair' : null,
          }),
        );
      }
      for (const c of made.filter((_, i) => i % 9 === 4))
        await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      // Bulk creates and a bulk update write words too (with their created_at and deleted state).
      const bulk = await http(t)
        .post('/customer/bulk')
        .set(m.bearer)
        .send({
          items: [
            { firstname: 'Bulk', lastname: 'Smith', email: `smithb.${randomUUID()}@gmail.com` },
            { firstname: 'Bulk', lastname: 'Goldsmith', phone: '+1 (407) 555-0777', email: null },
            { id: made[1].id, lastname: 'Smithers' },
          ],
        })
        .expect(200);
      const results = (bulk.body as { results: { customer: Row }[] }).results;
      made[1] = results[2].customer;
      made.push(results[0].customer, results[1].customer);
    });
    afterEach(() => {
      repo.sparseMax = 2000;
      repo.trustWords = true;
    });

    const plainQueries = [
      'keywords[]=smith',
      'keywords[]=SMITH&trashed=with',
      'keywords[]=smith&trashed=only',
      'keywords[]=smith&order=asc&per_page=4&page=3',
      'keywords[]=j&per_page=4&page=2',
      'keywords[]=gmail&trashed=with&per_page=5&page=3',
      'keywords[]=1407555',
      'keywords[]=14075550777',
      'keywords[]=smithy',
      'keywords[]=smithers',
      'keywords[]={idpart}',
      'keywords[]=nobodyatall',
      'keywords[]=smith&per_page=3&after={after}',
      'keywords[]=smith&trashed=with&order=asc&per_page=3&after={after}',
    ];

    it.each(plainQueries)(
      'one plain keyword, from the word table alone and checked on rows: %s',
      async (query) => {
        const q = query
          .replace('{after}', made[20].id)
          .replace('{idpart}', made[7].id.slice(0, 8).toUpperCase());
        const trusted = await search(m, q);
        for (const sparseMax of [1_000_000, 0]) {
          repo.sparseMax = sparseMax;
          const general = await searchGeneral(m, q);
          expect(trusted.data.map((c) => c.id)).toEqual(general.data.map((c) => c.id));
          expect([trusted.total, trusted.total_relation]).toEqual([general.total, general.total_relation]);
        }
        if (query.includes('idpart')) expect(trusted.data.map((c) => c.id)).toEqual([made[7].id]);
      },
    );

    const queries = [
      'keywords[]=smith',
      'keywords[]=smith&keywords[]=gmail',
      'keywords[]=john.smith',
      'keywords[]=j&per_page=4&page=2',
      'keywords[]=smith&sort=lastname&order=asc&per_page=7&page=2',
      'keywords[]=gmail&trashed=with&per_page=5&page=3',
      'keywords[]=smith&trashed=only',
      'keywords[]=(407) 555&per_page=3',
      'keywords[]=1407555',
      'keywords[]=smith&lastname=smiths',
      'keywords[]=nobodyatall',
      'keywords[]=smith&per_page=3&after={after}',
    ];

    it.each(queries)('%s', async (query) => {
      const q = query.replace('(407) 555', encodeURIComponent('(407) 555')).replace('{after}', made[20].id);
      repo.sparseMax = 1_000_000; // every exact count reads its page through the word table
      const sparse = await search(m, q);
      repo.sparseMax = 0; // every page walks the merchant's customers in created_at order
      const dense = await search(m, q);
      expect(sparse.data.map((c) => c.id)).toEqual(dense.data.map((c) => c.id));
      expect(sparse.total).toBe(dense.total);
      expect(sparse.total_relation).toBe(dense.total_relation);
    });

    it('and find what the keyword rule says: smith starts a word, Goldsmith does not', async () => {
      const deleted = new Set(made.filter((_, i) => i < 40 && i % 9 === 4).map((c) => c.id));
      const expected = made
        .filter((c) => !deleted.has(c.id))
        .filter((c) =>
          [c.lastname, c.email, c.company, c.notes].some((v) =>
            typeof v === 'string' ? /(^|[\s.@\-_+])smith/i.test(v) : false,
          ),
        )
        .map((c) => c.id)
        .sort();
      expect(await idsFor(m, 'smith')).toEqual(expected);
      for (const sparseMax of [1_000_000, 0]) {
        repo.sparseMax = sparseMax;
        const general = await searchGeneral(m, 'keywords[]=smith&per_page=200');
        expect(general.data.map((c) => c.id).sort()).toEqual(expected);
      }
      expect(expected.length).toBeGreaterThan(10);
    });
  });
});
