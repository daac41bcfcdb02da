import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKey } from '../src/auth/api-key.entity';
import { AuthService } from '../src/auth/auth.service';
import {
  createStaxCustomer,
  http,
  newKey,
  newMerchant,
  startApp,
  TestApp,
  TestMerchant,
} from './support/app';
import { expectError } from './support/stax';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * README, "Merchants and API keys": a client_secret is shown once and stored only as a hash. These read the database
 * itself — every table, every column — for the secrets the test was given, and check that what a
 * thief could read there (a client_key, a hash) is not a credential.
 */
describe('credentials', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every table of the database, migrations and all. */
  async function allTables(): Promise<string[]> {
    const ds = t.app.get(DataSource);
    if (ds.options.type === 'better-sqlite3') {
      const rows: { name: string }[] = await ds.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      );
      return rows.map((r) => r.name);
    }
    const rows: Record<string, string>[] = await ds.query('SHOW TABLES');
    return rows.map((r) => Object.values(r)[0]);
  }

  /** Each row of each table as text, with the table's name, for searching. */
  async function everyRowAsText(): Promise<{ table: string; text: string }[]> {
    const ds = t.app.get(DataSource);
    const out: { table: string; text: string }[] = [];
    for (const table of await allTables()) {
      const rows: Record<string, unknown>[] = await ds.query(`SELECT * FROM ${ds.driver.escape(table)}`);
      for (const row of rows) {
        // Buffers (binary columns) as text too, in case a secret hid in one.
        const text = Object.values(row)
          .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
          .join('\u0000');
        out.push({ table, text });
      }
    }
    return out;
  }

  /** Makes a little history with every key: creates, updates, deletes, idempotent replays, failures. */
  async function useKey(k: TestMerchant) {
    const c = await createStaxCustomer(t, k, { notes: 'created' });
    const idem = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(k.bearer)
      .set('idempotency-key', idem)
      .send({ company: 'A' })
      .expect(200);
    await http(t)
      .put(`/customer/${c.id}`)
      .set(k.bearer)
      .set('idempotency-key', idem)
      .send({ company: 'A' })
      .expect(200);
    await http(t)
      .patch(`/api/v0/customers/${c.id}`)
      .set(k.keyPair)
      .set('idempotency-key', randomUUID())
      .send({ last_name: 'B' })
      .expect(200);
    await http(t)
      .put(`/customer/${c.id}`)
      .set(k.bearer)
      .set('idempotency-key', randomUUID())
      .send({ email: 'bad' })
      .expect(400);
    await http(t).delete(`/customer/${c.id}`).set(k.keyPair).set('idempotency-key', randomUUID()).expect(200);
    await http(t).put(`/customer/${c.id}/restore`).set(k.bearer).expect(200);
    return c;
  }

  it('no table holds a client_secret; api_keys holds sha256(secret) in hex', async () => {
    const auth = t.app.get(AuthService);
    const merchants = [
      await newMerchant(t),
      await newMerchant(t, ['customers:read', 'customers:write', 'customers:reactivate']),
    ];
    const keys = [
      ...merchants,
      await newKey(t, merchants[0].merchantId),
      await newKey(t, merchants[1].merchantId, ['customers:read']),
    ];
    // A revoked key is still a row; its secret must not be in it either.
    const revoked = await newKey(t, merchants[0].merchantId);
    await auth.revokeKey(revoked.clientKey);
    keys.push(revoked);
    for (const k of merchants) await useKey(k);

    const rows = await t.app.get(DataSource).getRepository(ApiKey).find();
    for (const k of keys) {
      expect(k.secret).toMatch(/^sk_[A-Za-z0-9_-]{40,}$/);
      const row = rows.find((r) => r.client_key === k.clientKey);
      expect(row).toBeDefined();
      expect(row!.merchant_id).toBe(k.merchantId);
      expect(row!.secret_hash).toBe(sha256(k.secret));
      expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    }

    const everything = await everyRowAsText();
    const tables = new Set(everything.map((r) => r.table));
    for (const table of ['merchants', 'api_keys', 'customers', 'audit_entries', 'idempotency_keys'])
      expect(tables.has(table)).toBe(true);
    for (const k of keys) {
      // The whole secret, and its random part without the prefix.
      for (const needle of [k.secret, k.secret.slice(3)]) {
        const found = everything.filter((r) => r.text.includes(needle)).map((r) => r.table);
        expect({ key: k.clientKey, found }).toEqual({ key: k.clientKey, found: [] });
      }
    }
  });

  it('the audit log names the actor by client_key and never contains a secret', async () => {
    const m = await newMerchant(t);
    const second = await newKey(t, m.merchantId);
    const c = await useKey(m);
    await http(t)
      .put(`/customer/${c.id}`)
      .set(second.keyPair)
      .send({ notes: 'by the second key' })
      .expect(200);

    for (const path of [
      `/customer/${c.id}/audit-log?per_page=200`,
      `/api/v0/customers/${c.id}/audit-log?take=100`,
    ]) {
      const res = await http(t).get(path).set(m.bearer).expect(200);
      expect(res.body.data.length).toBeGreaterThanOrEqual(5);
      const text = JSON.stringify(res.body);
      for (const secret of [m.secret, second.secret]) expect(text).not.toContain(secret);
      for (const hash of [sha256(m.secret), sha256(second.secret)]) expect(text).not.toContain(hash);
      expect(new Set(res.body.data.map((e: { actor: string }) => e.actor))).toEqual(
        new Set([m.clientKey, second.clientKey]),
      );
    }
  });

  it('a client_key, a secret hash or a secret with a changed letter is not a credential', async () => {
    const m = await newMerchant(t);
    await createStaxCustomer(t, m);
    const hash = sha256(m.secret);
    const flipped = m.secret.slice(0, -1) + (m.secret.endsWith('A') ? 'B' : 'A');
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer ${m.clientKey}` },
      { Authorization: `Bearer ${hash}` },
      { Authorization: `Bearer ${hash.toUpperCase()}` },
      { Authorization: `Bearer ${flipped}` },
      { Authorization: `Bearer ${m.secret.slice(3)}` },
      { Authorization: `Basic ${Buffer.from(`${m.clientKey}:${m.secret}`).toString('base64')}` },
      { Authorization: `Bearer ${m.clientKey}:${m.secret}` },
      { 'x-client-key': m.clientKey, 'x-client-secret': m.clientKey },
      { 'x-client-key': m.clientKey, 'x-client-secret': hash },
      { 'x-client-key': m.clientKey, 'x-client-secret': flipped },
      { 'x-client-key': m.secret, 'x-client-secret': m.secret },
    ];
    for (const headers of attempts) {
      for (const req of [
        http(t).get('/customer').set(headers),
        http(t).get('/api/v0/customers').set(headers),
        http(t).post('/customer').set(headers).send({ firstname: 'Nope' }),
      ]) {
        const res = await req;
        expect({ headers, status: res.status }).toEqual({ headers, status: 401 });
        expectError(res, 401, 'Invalid API credentials');
        expect(res.text).not.toContain(m.secret);
        expect(res.text).not.toContain(hash);
      }
    }
    const list = await http(t).get('/customer').set(m.bearer).expect(200);
    expect(list.body.total).toBe(1);
  });

  it('a revoked key is refused at its next request on both surfaces, even right after a success', async () => {
    const m = await newMerchant(t);
    const doomed = await newKey(t, m.merchantId);
    const c = await createStaxCustomer(t, m);
    // Used in both styles just before (so any cache of valid keys holds it)...
    await http(t).get(`/customer/${c.id}`).set(doomed.bearer).expect(200);
    await http(t).get(`/api/v0/customers/${c.id}`).set(doomed.keyPair).expect(200);
    expect(await t.app.get(AuthService).revokeKey(doomed.clientKey)).toBe(true);
    // ...and refused from the very next one.
    for (const req of [
      http(t).get(`/customer/${c.id}`).set(doomed.bearer),
      http(t).get(`/api/v0/customers/${c.id}`).set(doomed.keyPair),
      http(t).put(`/customer/${c.id}`).set(doomed.keyPair).send({ notes: 'after revoke' }),
      http(t).patch(`/api/v0/customers/${c.id}`).set(doomed.bearer).send({ last_name: 'After' }),
      http(t).get(`/customer/${c.id}/audit-log`).set(doomed.bearer),
    ]) {
      expectError(await req, 401, 'Invalid API credentials');
    }
    // A revoked key's idempotency key does not replay for it either.
    const idem = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', idem)
      .send({ company: 'X' })
      .expect(200);
    expectError(
      await http(t)
        .put(`/customer/${c.id}`)
        .set(doomed.bearer)
        .set('idempotency-key', idem)
        .send({ company: 'X' }),
      401,
    );
    // The merchant's other key is unaffected, and nothing was written by the revoked one.
    const log = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(log.body.data.map((e: { actor: string }) => e.actor)).toEqual([m.clientKey, m.clientKey]);
  });
});
