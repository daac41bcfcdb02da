import request from 'supertest';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { expectError, setStoredTimestamps, uniqueEmail } from './support/stax';

type Query = Record<string, string | number | string[]>;

/** GET /customer with the given query; `keywords[]` is repeated when given a list. */
function list(t: TestApp, m: TestMerchant, query: Query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const qs = params.toString();
  return http(t)
    .get(`/customer${qs ? `?${qs}` : ''}`)
    .set(m.bearer);
}

async function ids(t: TestApp, m: TestMerchant, query: Query = {}): Promise<string[]> {
  const res = await list(t, m, { per_page: 200, ...query });
  expect(res.status).toBe(200);
  return (res.body.data as { id: string }[]).map((c) => c.id);
}

const FILTER_FIELDS = [
  'firstname',
  'lastname',
  'company',
  'email',
  'phone',
  'address_1',
  'address_2',
  'address_city',
  'address_state',
  'address_zip',
  'reference',
] as const;

/** A value for each filter field that starts with `marker` (in mixed case), or has it inside. */
function valueFor(field: (typeof FILTER_FIELDS)[number], marker: string, at: 'start' | 'inside'): string {
  switch (field) {
    case 'email':
      return at === 'start' ? `${marker}Post@Example.com` : `pre${marker}Post@Example.com`;
    case 'phone':
      return marker === 'Xq' ? '+1 (555) 777-0001' : '+1 (555) 888-0002';
    case 'address_state':
    case 'address_zip':
      return at === 'start' ? `${marker}AZ` : `A${marker}Z`;
    default:
      return at === 'start' ? `${marker} Front Back` : `Front ${marker} Back`;
  }
}

describe('Stax: GET /customer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('filters', () => {
    it.each(FILTER_FIELDS.filter((f) => f !== 'phone'))(
      '%s is a case-insensitive "starts with" match, never the middle',
      async (field) => {
        const m = await newMerchant(t);
        const target = await createStaxCustomer(t, m, { [field]: valueFor(field, 'Xq', 'start') });
        await createStaxCustomer(t, m, { [field]: valueFor(field, 'Xq', 'inside') });
        await createStaxCustomer(t, m, { [field]: valueFor(field, 'Yw', 'start') });
        await createStaxCustomer(t, m, { [field]: null, company: 'Filler' });
        expect(await ids(t, m, { [field]: 'xQ' })).toEqual([target.id]);
        expect(await ids(t, m, { [field]: 'XQ' })).toEqual([target.id]);
        // The whole stored value matches too.
        expect(await ids(t, m, { [field]: valueFor(field, 'Xq', 'start').toLowerCase() })).toEqual([
          target.id,
        ]);
        expect(await ids(t, m, { [field]: 'no-such-text' })).toEqual([]);
      },
    );

    it('phone compares digits only, country code included, whatever the punctuation', async () => {
      const m = await newMerchant(t);
      const target = await createStaxCustomer(t, m, { phone: '+1 (555) 777-0001' });
      await createStaxCustomer(t, m, { phone: '+1 (555) 888-0002' });
      await createStaxCustomer(t, m, { phone: '777 000 1234 5' });
      for (const given of ['1555777', '+1 555 777', '1-555-777-0001', '(1) 555.777']) {
        expect([given, await ids(t, m, { phone: given })]).toEqual([given, [target.id]]);
      }
      expect(await ids(t, m, { phone: '555' })).toEqual([]);
    });

    it('is case-insensitive for letters outside ASCII too, in filters and keywords', async () => {
      const m = await newMerchant(t);
      const target = await createStaxCustomer(t, m, {
        firstname: 'ÉLODIE',
        company: 'Ünal GmbH',
        email: null,
      });
      await createStaxCustomer(t, m, { firstname: 'Other', company: 'Other', email: null });
      expect(await ids(t, m, { firstname: 'élodie' })).toEqual([target.id]);
      expect(await ids(t, m, { company: 'ünal' })).toEqual([target.id]);
      expect(await ids(t, m, { 'keywords[]': ['élod', 'ÜNAL'] })).toEqual([target.id]);
    });

    it('filters are ANDed', async () => {
      const m = await newMerchant(t);
      const both = await createStaxCustomer(t, m, { firstname: 'Ann', address_city: 'Orlando' });
      await createStaxCustomer(t, m, { firstname: 'Ann', address_city: 'Tampa' });
      await createStaxCustomer(t, m, { firstname: 'Bob', address_city: 'Orlando' });
      expect(await ids(t, m, { firstname: 'ann', address_city: 'orl' })).toEqual([both.id]);
      expect((await ids(t, m, { firstname: 'ann' })).sort()).toHaveLength(2);
    });

    it('an empty filter value matches everything', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m, { firstname: 'Ann' });
      await createStaxCustomer(t, m, { firstname: null, company: 'Co' });
      expect(await ids(t, m, { firstname: '' })).toHaveLength(2);
    });

    it.each([
      ['%', 'a%b', 'axxb'],
      ['_', 'a_b', 'acb'],
      ['!', 'a!b', 'ab'],
      ['\\', 'a\\b', 'ab'],
    ])('treats %p as plain text', async (_ch, literal, lookalike) => {
      const m = await newMerchant(t);
      const target = await createStaxCustomer(t, m, { firstname: `${literal}y`, notes: `${literal}n` });
      await createStaxCustomer(t, m, { firstname: `${lookalike}y`, notes: `${lookalike}n` });
      expect(await ids(t, m, { firstname: literal })).toEqual([target.id]);
      expect(await ids(t, m, { 'keywords[]': [literal] })).toEqual([target.id]);
    });
  });

  describe('keywords[]', () => {
    const KEYWORD_FIELDS = [
      'firstname',
      'lastname',
      'email',
      'company',
      'notes',
      'reference',
      'phone',
    ] as const;

    it.each(KEYWORD_FIELDS)('a keyword matches %s, case-insensitively', async (field) => {
      const m = await newMerchant(t);
      const value =
        field === 'phone'
          ? '+1 555 424 2424'
          : field === 'email'
            ? `x.${uniqueEmail('KwZz')}`
            : 'Has KwZz Inside';
      const target = await createStaxCustomer(t, m, {
        [field]: value,
        ...(field === 'email' ? {} : { email: null }),
      });
      await createStaxCustomer(t, m, { firstname: 'Other', email: null });
      const keyword = field === 'phone' ? '+1 555 424' : 'kWzZ';
      expect(await ids(t, m, { 'keywords[]': [keyword] })).toEqual([target.id]);
    });

    it('a keyword matches the id', async () => {
      const m = await newMerchant(t);
      const target = await createStaxCustomer(t, m);
      await createStaxCustomer(t, m);
      expect(await ids(t, m, { 'keywords[]': [target.id.slice(0, 13).toUpperCase()] })).toEqual([target.id]);
    });

    it('does not match fields outside the keyword set', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m, { address_city: 'Kwcity', address_1: 'Kwstreet', address_zip: 'KW999' });
      expect(await ids(t, m, { 'keywords[]': ['kwcity'] })).toEqual([]);
      expect(await ids(t, m, { 'keywords[]': ['kwstreet'] })).toEqual([]);
      expect(await ids(t, m, { 'keywords[]': ['kw999'] })).toEqual([]);
    });

    it('is repeatable: each keyword must match (in any of the fields)', async () => {
      const m = await newMerchant(t);
      const both = await createStaxCustomer(t, m, { firstname: 'Alpha', company: 'Bravo Inc', email: null });
      await createStaxCustomer(t, m, { firstname: 'Alpha', company: 'Charlie Inc', email: null });
      await createStaxCustomer(t, m, { firstname: 'Delta', company: 'Bravo Inc', email: null });
      expect(await ids(t, m, { 'keywords[]': ['alpha', 'bravo'] })).toEqual([both.id]);
      expect(await ids(t, m, { 'keywords[]': ['alpha'] })).toHaveLength(2);
      expect(await ids(t, m, { 'keywords[]': ['alpha', 'bravo', 'zulu'] })).toEqual([]);
    });

    it('combines with the field filters (AND)', async () => {
      const m = await newMerchant(t);
      const target = await createStaxCustomer(t, m, { firstname: 'Alpha', address_city: 'Orlando' });
      await createStaxCustomer(t, m, { firstname: 'Alpha', address_city: 'Tampa' });
      expect(await ids(t, m, { 'keywords[]': ['alpha'], address_city: 'orlando' })).toEqual([target.id]);
    });
  });

  describe('sort and order', () => {
    const TEXT_SORT_FIELDS = [
      'firstname',
      'lastname',
      'email',
      'company',
      'address_1',
      'address_city',
      'address_state',
      'reference',
    ] as const;

    it.each(TEXT_SORT_FIELDS)('sorts on %s, ASC and DESC', async (field) => {
      const m = await newMerchant(t);
      const value = (v: string) => (field === 'email' ? `${v}@example.com` : v);
      // Created in an order that is neither the ascending nor the descending one.
      const b = await createStaxCustomer(t, m, { email: null, company: 'Co', [field]: value('bbb') });
      const a = await createStaxCustomer(t, m, { email: null, company: 'Co', [field]: value('aaa') });
      const c = await createStaxCustomer(t, m, { email: null, company: 'Co', [field]: value('ccc') });
      expect(await ids(t, m, { sort: field, order: 'ASC' })).toEqual([a.id, b.id, c.id]);
      expect(await ids(t, m, { sort: field, order: 'DESC' })).toEqual([c.id, b.id, a.id]);
      expect(await ids(t, m, { sort: field, order: 'asc' })).toEqual([a.id, b.id, c.id]);
      // order defaults to DESC
      expect(await ids(t, m, { sort: field })).toEqual([c.id, b.id, a.id]);
    });

    it.each(['created_at', 'updated_at'] as const)('sorts on %s, ASC and DESC', async (field) => {
      const m = await newMerchant(t);
      const x = await createStaxCustomer(t, m);
      const y = await createStaxCustomer(t, m);
      const z = await createStaxCustomer(t, m);
      // Stored times chosen so that the created_at order and the updated_at order differ.
      const times: Record<string, { created_at: Date; updated_at: Date }> = {
        [x.id]: {
          created_at: new Date('2024-01-02T00:00:00Z'),
          updated_at: new Date('2024-03-01T00:00:00Z'),
        },
        [y.id]: {
          created_at: new Date('2024-01-03T00:00:00Z'),
          updated_at: new Date('2024-02-01T00:00:00Z'),
        },
        [z.id]: {
          created_at: new Date('2024-01-01T00:00:00Z'),
          updated_at: new Date('2024-04-01T00:00:00Z'),
        },
      };
      for (const [id, v] of Object.entries(times)) await setStoredTimestamps(t, id, v);
      const expected = field === 'created_at' ? [z.id, x.id, y.id] : [y.id, x.id, z.id];
      expect(await ids(t, m, { sort: field, order: 'ASC' })).toEqual(expected);
      expect(await ids(t, m, { sort: field, order: 'DESC' })).toEqual([...expected].reverse());
    });

    it('defaults to created_at DESC (newest first)', async () => {
      const m = await newMerchant(t);
      const x = await createStaxCustomer(t, m);
      const y = await createStaxCustomer(t, m);
      const z = await createStaxCustomer(t, m);
      await setStoredTimestamps(t, x.id, { created_at: new Date('2024-01-02T00:00:00Z') });
      await setStoredTimestamps(t, y.id, { created_at: new Date('2024-01-03T00:00:00Z') });
      await setStoredTimestamps(t, z.id, { created_at: new Date('2024-01-01T00:00:00Z') });
      expect(await ids(t, m)).toEqual([y.id, x.id, z.id]);
    });

    it('keeps a stable order across pages when sort values tie', async () => {
      const m = await newMerchant(t);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await createStaxCustomer(t, m, { company: 'Same' })).id);
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const res = await list(t, m, { sort: 'company', per_page: 2, page }).expect(200);
        seen.push(...(res.body.data as { id: string }[]).map((c) => c.id));
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      expect([...seen].sort()).toEqual([...created].sort());
    });
  });

  describe('pagination (Laravel envelope)', () => {
    it('answers the full envelope with defaults page 1 and per_page 50', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await list(t, m).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'current_page',
          'data',
          'first_page_url',
          'from',
          'last_page',
          'last_page_url',
          'next_page_url',
          'path',
          'per_page',
          'prev_page_url',
          'to',
          'total',
          'total_relation',
        ].sort(),
      );
      expect(res.body).toEqual({
        current_page: 1,
        data: [c],
        first_page_url: `${t.url}/customer?page=1`,
        from: 1,
        last_page: 1,
        last_page_url: `${t.url}/customer?page=1`,
        next_page_url: null,
        path: `${t.url}/customer`,
        per_page: 50,
        prev_page_url: null,
        to: 1,
        total: 1,
        total_relation: 'eq',
      });
    });

    it('pages through with page and per_page, keeping the other query parameters in the links', async () => {
      const m = await newMerchant(t);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await createStaxCustomer(t, m, { company: 'Pager' })).id);
      const res = await list(t, m, { company: 'pager', per_page: 2, page: 2, sort: 'firstname' }).expect(200);
      expect(res.body).toMatchObject({
        current_page: 2,
        from: 3,
        to: 4,
        last_page: 3,
        per_page: 2,
        total: 5,
        path: `${t.url}/customer`,
      });
      expect(res.body.data).toHaveLength(2);
      const q = (page: number) => `${t.url}/customer?company=pager&per_page=2&sort=firstname&page=${page}`;
      expect(res.body.first_page_url).toBe(q(1));
      expect(res.body.prev_page_url).toBe(q(1));
      expect(res.body.next_page_url).toBe(q(3));
      expect(res.body.last_page_url).toBe(q(3));

      // Following the links walks the same search, and the three pages hold every customer once.
      const page1 = await request(res.body.prev_page_url as string)
        .get('')
        .set(m.bearer)
        .expect(200);
      const page3 = await request(res.body.next_page_url as string)
        .get('')
        .set(m.bearer)
        .expect(200);
      expect(page3.body).toMatchObject({ current_page: 3, from: 5, to: 5, next_page_url: null });
      expect(page3.body.data).toHaveLength(1);
      const all = [...page1.body.data, ...res.body.data, ...page3.body.data].map((c: { id: string }) => c.id);
      expect(all.sort()).toEqual([...made].sort());
    });

    it('keeps repeated keywords[] in the page links', async () => {
      const m = await newMerchant(t);
      for (let i = 0; i < 3; i++) await createStaxCustomer(t, m, { firstname: 'Kw', company: 'Multi' });
      const res = await list(t, m, { 'keywords[]': ['kw', 'multi'], per_page: 1 }).expect(200);
      expect(res.body.total).toBe(3);
      const next = new URL(res.body.next_page_url as string);
      expect(next.searchParams.getAll('keywords[]')).toEqual(['kw', 'multi']);
      const page2 = await request(res.body.next_page_url as string)
        .get('')
        .set(m.bearer)
        .expect(200);
      expect(page2.body).toMatchObject({ current_page: 2, total: 3 });
    });

    it('a page past the end is empty, with from and to null', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m);
      const res = await list(t, m, { page: 5 }).expect(200);
      expect(res.body).toMatchObject({
        current_page: 5,
        data: [],
        from: null,
        to: null,
        total: 1,
        last_page: 1,
        next_page_url: null,
      });
      expect(res.body.prev_page_url).toBe(`${t.url}/customer?page=4`);
    });

    it('an empty result has last_page 1 and total 0', async () => {
      const m = await newMerchant(t);
      const res = await list(t, m).expect(200);
      expect(res.body).toMatchObject({
        current_page: 1,
        data: [],
        from: null,
        to: null,
        total: 0,
        last_page: 1,
      });
    });

    it('accepts per_page 1 and 200', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m);
      await createStaxCustomer(t, m);
      expect((await list(t, m, { per_page: 1 }).expect(200)).body).toMatchObject({
        per_page: 1,
        last_page: 2,
      });
      expect((await list(t, m, { per_page: 200 }).expect(200)).body).toMatchObject({ per_page: 200, to: 2 });
    });
  });

  describe('trashed', () => {
    it('without (default) hides soft-deleted customers, with shows all, only shows just those', async () => {
      const m = await newMerchant(t);
      const live = await createStaxCustomer(t, m);
      const gone = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${gone.id}`).set(m.bearer).expect(200);
      expect(await ids(t, m)).toEqual([live.id]);
      expect(await ids(t, m, { trashed: 'without' })).toEqual([live.id]);
      expect((await ids(t, m, { trashed: 'with' })).sort()).toEqual([live.id, gone.id].sort());
      expect(await ids(t, m, { trashed: 'only' })).toEqual([gone.id]);
      const only = await list(t, m, { trashed: 'only' }).expect(200);
      expect(only.body.total).toBe(1);
      expect(only.body.data[0].deleted_at).not.toBeNull();
    });

    it('combines with filters', async () => {
      const m = await newMerchant(t);
      const gone = await createStaxCustomer(t, m, { firstname: 'Gone' });
      await createStaxCustomer(t, m, { firstname: 'Here' });
      await http(t).delete(`/customer/${gone.id}`).set(m.bearer).expect(200);
      expect(await ids(t, m, { firstname: 'gone' })).toEqual([]);
      expect(await ids(t, m, { firstname: 'gone', trashed: 'with' })).toEqual([gone.id]);
    });
  });

  it("never lists another merchant's customers", async () => {
    const m = await newMerchant(t);
    const other = await newMerchant(t);
    const mine = await createStaxCustomer(t, m, { firstname: 'Shared' });
    const theirs = await createStaxCustomer(t, other, { firstname: 'Shared' });
    expect(await ids(t, m, { trashed: 'with' })).toEqual([mine.id]);
    expect(await ids(t, m, { firstname: 'shared' })).toEqual([mine.id]);
    expect(await ids(t, m, { 'keywords[]': [theirs.id] })).toEqual([]);
    const res = await list(t, m).expect(200);
    expect(res.body.total).toBe(1);
  });

  describe('out-of-range and malformed query values are 400', () => {
    it.each([
      ['page=0', { page: '0' }, 'page must not be less than 1'],
      ['page=-1', { page: '-1' }, 'page'],
      ['page=abc', { page: 'abc' }, 'page must be an integer number'],
      ['page=1.5', { page: '1.5' }, 'page must be an integer number'],
      ['page empty', { page: '' }, 'page'],
      ['per_page=0', { per_page: '0' }, 'per_page must not be less than 1'],
      ['per_page=201', { per_page: '201' }, 'per_page must not be greater than 200'],
      ['per_page=abc', { per_page: 'abc' }, 'per_page must be an integer number'],
      ['per_page=99999999999', { per_page: '99999999999' }, 'per_page'],
      ['sort on a field not in the list', { sort: 'notes' }, 'sort must be one of the following values'],
      ['sort on an unknown column', { sort: 'password' }, 'sort'],
      ['sort with SQL', { sort: 'created_at; DROP TABLE customers' }, 'sort'],
      ['order=UP', { order: 'UP' }, 'order must be one of the following values'],
      ['trashed=all', { trashed: 'all' }, 'trashed must be one of the following values'],
      ['repeated page', { page: ['1', '2'] }, 'page'],
      ['repeated firstname', { firstname: ['a', 'b'] }, 'firstname must be a string'],
    ])('%s', async (_label, query: Query, message) => {
      const m = await newMerchant(t);
      const res = await list(t, m, query);
      expectError(res, 400, message);
      expect(Array.isArray(res.body.message)).toBe(true);
    });
  });
});
