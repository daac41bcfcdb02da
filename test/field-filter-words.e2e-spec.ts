/**
 * Per-field filters without an index of their own (first name, phone, reference, v0 name) pick
 * their candidates from the word table (README, "Listing and searching customers"), then check
 * the filter itself on each candidate's row: the answers are what the filter's rule says, on both
 * plans of a word search, for this merchant only. On both databases.
 */
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

type Row = { id: string; firstname: string | null };

const PEOPLE = [
  { firstname: 'Ann', lastname: 'Lee', phone: '+1 (407) 555-0100', reference: 'CRM-0042' },
  { firstname: 'Anna', lastname: 'Smith', phone: '407-555-0199', reference: 'crm-7' },
  { firstname: 'Mary Ann', lastname: 'Annandale', reference: 'X ann' },
  { firstname: 'Annabel-Lee', lastname: 'Jones', phone: '14075550123' },
  { firstname: 'Annie', lastname: 'Gone' }, // soft-deleted below
  { firstname: 'Émile', lastname: 'Zola' },
  { firstname: '-dash', lastname: 'Odd' },
  { firstname: 'John', lastname: 'Smith' },
  { firstname: 'Johnny', lastname: 'Smithson' },
];

describe('per-field filters through the word table', () => {
  let t: TestApp;
  let db: DatabaseService;
  let repo: CustomersRepository;
  let m: TestMerchant;
  let other: TestMerchant;
  const ids = new Map<string, string>();
  const otherIds = new Set<string>();

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0', WEBHOOK_WORKER: 'false' });
    db = t.app.get(DatabaseService);
    repo = t.app.get(CustomersRepository);
    m = await newMerchant(t);
    other = await newMerchant(t);
    for (const p of PEOPLE) {
      ids.set(p.firstname, (await createStaxCustomer(t, m, { ...p, email: null })).id);
      // Another merchant with the same people: never found, never counted.
      otherIds.add((await createStaxCustomer(t, other, { ...p, email: null })).id);
    }
    await http(t)
      .delete(`/customer/${ids.get('Annie')}`)
      .set(m.bearer)
      .expect(200);
  });
  afterAll(() => t.close());
  afterEach(() => {
    repo.sparseMax = 2000;
  });

  async function names(path: string, merchant = m): Promise<{ names: string[]; total: number }> {
    const res = await http(t)
      .get(path)
      .set(path.startsWith('/api/v0') ? merchant.keyPair : merchant.bearer)
      .expect(200);
    const rows = res.body.data as Row[];
    for (const r of rows) expect(otherIds.has(r.id)).toBe(false);
    const byId = new Map([...ids].map(([name, id]) => [id, name]));
    return { names: rows.map((r) => byId.get(r.id) ?? `?${r.id}`).sort(), total: res.body.total };
  }

  const cases: [string, string[]][] = [
    ['/customer?firstname=ann', ['Ann', 'Anna', 'Annabel-Lee']],
    ['/customer?firstname=ann&trashed=with', ['Ann', 'Anna', 'Annabel-Lee', 'Annie']],
    ['/customer?firstname=ann&trashed=only', ['Annie']],
    ['/customer?firstname=ANNA', ['Anna', 'Annabel-Lee']],
    ['/customer?firstname=mary%20a', ['Mary Ann']],
    ['/customer?firstname=annabel-l', ['Annabel-Lee']],
    ['/customer?firstname=%C3%A9mile', ['Émile']],
    ['/customer?firstname=-', ['-dash']],
    ['/customer?firstname=zzz', []],
    ['/customer?phone=1407', ['Ann', 'Annabel-Lee']],
    ['/customer?phone=%2B1%20(407)', ['Ann', 'Annabel-Lee']],
    ['/customer?phone=407', ['Anna']],
    ['/customer?reference=crm', ['Ann', 'Anna']],
    ['/customer?reference=CRM-00', ['Ann']],
    ['/customer?reference=0042', []],
    ['/customer?firstname=ann&keywords[]=lee', ['Ann', 'Annabel-Lee']],
    ['/customer?firstname=john&lastname=smiths', ['Johnny']],
    ['/api/v0/customers?name=ann', ['Ann', 'Anna', 'Annabel-Lee', 'Mary Ann']],
    ['/api/v0/customers?name=john%20sm', ['John']],
    ['/api/v0/customers?name=smith', ['Anna', 'John', 'Johnny']],
    ['/api/v0/customers?name=mith', []],
  ];

  it.each(cases)('%s', async (path, expected) => {
    repo.sparseMax = 1_000_000; // the page sorted from the matches
    const sparse = await names(path);
    expect(sparse).toEqual({ names: expected, total: expected.length });
    repo.sparseMax = 0; // the page from the merchant's customers in created_at order
    expect(await names(path)).toEqual(sparse);
  });

  it('the candidates come from the word table: a customer without words is not found by first name, but is by last name (its index)', async () => {
    const mine = await newMerchant(t);
    const c = await createStaxCustomer(t, mine, { firstname: 'Wordless', lastname: 'Wordless', email: null });
    expect((await names('/customer?firstname=wordless', mine)).total).toBe(1);
    await db.query('DELETE FROM customer_words WHERE merchant_id = ? AND customer_id = ?', [
      mine.merchantId,
      c.id,
    ]);
    expect((await names('/customer?firstname=wordless', mine)).total).toBe(0);
    expect((await names('/customer?lastname=wordless', mine)).total).toBe(1);
  });

  it("another merchant's same filters find only its own customers", async () => {
    // Its Annie is not deleted.
    const res = await http(t).get('/customer?firstname=ann').set(other.bearer).expect(200);
    expect(res.body.total).toBe(4);
    for (const r of res.body.data as Row[]) expect(otherIds.has(r.id)).toBe(true);
  });
});
