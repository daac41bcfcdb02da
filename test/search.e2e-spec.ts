/**
 * Searching a large book (README, "Listing and searching customers"): keywords match the start of
 * a word, a filtered total stops counting at LIST_COUNT_LIMIT (5 here) and says so, a page past
 * that window is refused, and `after` walks every customer once, whatever is added or deleted
 * meanwhile. On both databases.
 */
import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { expectError } from './support/stax';

const LIMIT = 5;

describe('search at scale', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LIST_COUNT_LIMIT: String(LIMIT), RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => t.close());

  const get = (m: TestMerchant, query: string) => http(t).get(`/customer?${query}`).set(m.bearer);
  const idsOf = (body: { data: { id: string }[] }) => body.data.map((c) => c.id);

  describe('keywords match the start of a word', () => {
    it('smith finds John Smith, smithson@… and Smith & Co, not Goldsmith', async () => {
      const m = await newMerchant(t);
      const plain = { firstname: 'X', lastname: null, email: null };
      const found = [
        await createStaxCustomer(t, m, { ...plain, firstname: 'John', lastname: 'Smith' }),
        await createStaxCustomer(t, m, { ...plain, email: `smithson.${randomUUID()}@example.com` }),
        await createStaxCustomer(t, m, { ...plain, company: 'Smith & Co' }),
        await createStaxCustomer(t, m, { ...plain, email: `j_smithers.${randomUUID()}@example.com` }),
        await createStaxCustomer(t, m, { ...plain, notes: 'met at the\nsmithy fair' }),
      ];
      await createStaxCustomer(t, m, { ...plain, lastname: 'Goldsmith' });
      await createStaxCustomer(t, m, { ...plain, company: 'Blacksmiths', notes: 'goldsmith' });
      const res = await get(m, 'keywords[]=smith&per_page=50').expect(200);
      expect(idsOf(res.body).sort()).toEqual(found.map((c) => c.id).sort());
    });

    it('a keyword with separators matches across them, and all keywords must match', async () => {
      const m = await newMerchant(t);
      const email = `john.smith.${randomUUID()}@example.com`;
      const target = await createStaxCustomer(t, m, { firstname: 'John', email, company: 'Acme' });
      await createStaxCustomer(t, m, { firstname: 'John', email: null, company: 'Other' });
      expect(idsOf((await get(m, 'keywords[]=john.smith').expect(200)).body)).toEqual([target.id]);
      expect(idsOf((await get(m, 'keywords[]=john&keywords[]=acm').expect(200)).body)).toEqual([target.id]);
    });
  });

  describe('totals', () => {
    let m: TestMerchant;
    beforeAll(async () => {
      m = await newMerchant(t);
      for (let i = 0; i < LIMIT + 3; i++) await createStaxCustomer(t, m, { firstname: `Many${i}` });
      await createStaxCustomer(t, m, { firstname: 'Few' });
    });

    it('a filtered total is exact up to the limit', async () => {
      const res = await get(m, 'firstname=few').expect(200);
      expect(res.body).toMatchObject({ total: 1, total_relation: 'eq', last_page: 1 });
    });

    it('past the limit, total is the limit, total_relation gte, and last_page follows from it', async () => {
      const res = await get(m, 'firstname=many&per_page=2').expect(200);
      expect(res.body).toMatchObject({
        total: LIMIT,
        total_relation: 'gte',
        last_page: Math.ceil(LIMIT / 2),
      });
      expect(res.body.data).toHaveLength(2);
      const v0 = await http(t).get('/api/v0/customers?name=many&take=2').set(m.keyPair).expect(200);
      expect(v0.body).toMatchObject({ total: LIMIT, total_relation: 'gte' });
    });

    it('a keyword total counts through the word table up to the limit too, for this merchant only', async () => {
      const other = await newMerchant(t);
      await createStaxCustomer(t, other, { firstname: 'Few' });
      expect((await get(m, 'keywords[]=few').expect(200)).body).toMatchObject({
        total: 1,
        total_relation: 'eq',
      });
      const many = await get(m, 'keywords[]=many&per_page=2&page=2').expect(200);
      expect(many.body).toMatchObject({
        total: LIMIT,
        total_relation: 'gte',
        last_page: Math.ceil(LIMIT / 2),
      });
      expect(many.body.data).toHaveLength(2);
    });

    it('a page that starts past the counted window is 400 and says how to go on', async () => {
      // Within the window: pages 1-3 of 2 start at 0, 2, 4 (< 5).
      await get(m, 'firstname=many&per_page=2&page=3').expect(200);
      const res = await get(m, 'firstname=many&per_page=2&page=4');
      expectError(res, 400);
      expect(res.body.message).toEqual([expect.stringMatching(/narrow the search, or read on with after=/)]);
    });

    it('the unfiltered list counts exactly, past the limit', async () => {
      const res = await get(m, 'per_page=1').expect(200);
      expect(res.body).toMatchObject({ total: LIMIT + 4, total_relation: 'eq', last_page: LIMIT + 4 });
    });
  });

  describe('after: walking every customer', () => {
    it('reads each customer once across pages while others are added and deleted', async () => {
      const m = await newMerchant(t);
      const initial: string[] = [];
      for (let i = 0; i < 12; i++) initial.push((await createStaxCustomer(t, m, { firstname: `W${i}` })).id);
      const deleted = new Set([initial[3], initial[8]]);
      const seen: string[] = [];
      let res = await get(m, 'per_page=3').expect(200);
      for (let pages = 0; pages < 20 && res.body.data.length > 0; pages++) {
        seen.push(...idsOf(res.body));
        if (pages === 1) {
          // Meanwhile: a new customer (newer than every page) and deletions ahead of the walk.
          await createStaxCustomer(t, m, { firstname: 'Late' });
          for (const id of deleted) await http(t).delete(`/customer/${id}`).set(m.bearer).expect(200);
        }
        const last = seen[seen.length - 1];
        if (pages > 0) {
          // A page read with after links on with after: the last id of the page, no page number.
          const next = res.body.next_page_url === null ? null : new URL(res.body.next_page_url as string);
          if (res.body.data.length === 3) expect(next?.searchParams.get('after')).toBe(last);
          expect(next?.searchParams.get('page') ?? null).toBeNull();
        }
        res = await get(m, `per_page=3&after=${last}`).expect(200);
      }
      const stillLive = initial.filter((id) => !deleted.has(id) || seen.slice(0, 6).includes(id));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => initial.includes(id)).sort()).toEqual(stillLive.sort());
      expect(seen).toEqual([...initial].reverse().filter((id) => stillLive.includes(id)));
    });

    it('v0 takes after too, newest first', async () => {
      const m = await newMerchant(t);
      const made: string[] = [];
      for (let i = 0; i < 4; i++) made.push((await createStaxCustomer(t, m, { firstname: `V${i}` })).id);
      const first = await http(t).get('/api/v0/customers?take=2').set(m.keyPair).expect(200);
      const after = first.body.data[1].id as string;
      const next = await http(t).get(`/api/v0/customers?take=2&after=${after}`).set(m.keyPair).expect(200);
      expect(next.body.data.map((c: { id: string }) => c.id)).toEqual([made[1], made[0]]);
    });

    it.each([
      ['page=2&after={id}', /cannot be combined with page or skip/],
      ['sort=lastname&after={id}', /after pages in created_at order/],
      ['after={other}', /must be the id of one of your customers/],
      ['after=not-a-uuid', /after must be a customer id/],
    ])('refuses %s with 400', async (query, message) => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const mine = await createStaxCustomer(t, m);
      const theirs = await createStaxCustomer(t, other);
      const res = await get(m, query.replace('{id}', mine.id).replace('{other}', theirs.id));
      expectError(res, 400);
      expect(res.body.message).toEqual([expect.stringMatching(message)]);
    });
  });
});
