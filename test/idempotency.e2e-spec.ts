import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IdempotencyKey } from '../src/idempotency/idempotency-key.entity';
import { fingerprint, IdempotencyService } from '../src/idempotency/idempotency.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

describe('idempotency keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const auditTotal = async (m: TestMerchant, id: string) =>
    (await http(t).get(`/customer/${id}/audit-log`).set(m.bearer).expect(200)).body.total as number;
  const customerCount = async (m: TestMerchant) =>
    (await http(t).get('/customer?trashed=with').set(m.bearer).expect(200)).body.total as number;

  it('replays a PUT with the stored response and Idempotent-Replayed, writing nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const first = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'Acme' })
      .expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Someone else changes the customer; the replay still answers what the first request answered.
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Other' }).expect(200);
    const again = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'Acme' })
      .expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers['etag']).toBe(first.headers['etag']);
    const now = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(now.body.company).toBe('Other');
    expect(await auditTotal(m, c.id)).toBe(3);
    const log = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(log.body.data[1].idempotency_key).toBe(key);
  });

  it('replays a POST on both surfaces without creating a second customer', async () => {
    const m = await newMerchant(t);
    const key = randomUUID();
    const body = { first_name: 'A', last_name: 'B', phone_number: '+1 555 555 0100' };
    const first = await http(t)
      .post('/api/v0/customers')
      .set(m.keyPair)
      .set('idempotency-key', key)
      .send(body)
      .expect(201);
    const again = await http(t)
      .post('/api/v0/customers')
      .set(m.keyPair)
      .set('idempotency-key', key)
      .send(body)
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const staxKey = randomUUID();
    const s1 = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('idempotency-key', staxKey)
      .send({ firstname: 'S' })
      .expect(200);
    const s2 = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('idempotency-key', staxKey)
      .send({ firstname: 'S' })
      .expect(200);
    expect(s2.body.id).toBe(s1.body.id);
    expect(await customerCount(m)).toBe(2);
  });

  it('the same key with a different body, path or method is 422 and changes nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const d = await createStaxCustomer(t, m);
    const key = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(200);
    const body = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'B' })
      .expect(422);
    expect(body.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
    await http(t)
      .put(`/customer/${d.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(422);
    await http(t).delete(`/customer/${c.id}`).set(m.bearer).set('idempotency-key', key).expect(422);
    expect((await http(t).get(`/customer/${c.id}`).set(m.bearer)).body).toMatchObject({
      company: 'A',
      deleted_at: null,
    });
    expect((await http(t).get(`/customer/${d.id}`).set(m.bearer)).body.company).toBeNull();
  });

  it('the fingerprint ignores key order in the body', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A', notes: 'n' })
      .expect(200);
    const again = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .set('content-type', 'application/json')
      .send('{"notes":"n","company":"A"}')
      .expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('keys are per merchant', async () => {
    const m1 = await newMerchant(t);
    const m2 = await newMerchant(t);
    const key = randomUUID();
    const a = await http(t)
      .post('/customer')
      .set(m1.bearer)
      .set('idempotency-key', key)
      .send({ firstname: 'A' })
      .expect(200);
    const b = await http(t)
      .post('/customer')
      .set(m2.bearer)
      .set('idempotency-key', key)
      .send({ firstname: 'A' })
      .expect(200);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('a validation failure is not stored: the corrected retry with the same key runs', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ address_country: 'US' })
      .expect(400);
    const ok = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ address_country: 'USA' })
      .expect(200);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect(ok.body.address_country).toBe('USA');
  });

  it('a 404 is stored and replayed (it is an answer, not a failure)', async () => {
    const m = await newMerchant(t);
    const key = randomUUID();
    const id = randomUUID();
    await http(t)
      .put(`/customer/${id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(404);
    const again = await http(t)
      .put(`/customer/${id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(404);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('a 401 stores nothing', async () => {
    const m = await newMerchant(t);
    const key = randomUUID();
    await http(t)
      .post('/customer')
      .set({ Authorization: 'Bearer nope' })
      .set('idempotency-key', key)
      .send({ firstname: 'A' })
      .expect(401);
    const ok = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ firstname: 'A' })
      .expect(200);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  it('is ignored on GET and refused when malformed', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    await http(t).get(`/customer/${c.id}`).set(m.bearer).set('idempotency-key', key).expect(200);
    const second = await http(t)
      .get(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    const long = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', 'k'.repeat(256))
      .send({})
      .expect(400);
    expect(long.body.message).toEqual(['idempotency-key must be 1-255 printable ASCII characters']);
  });

  it('a key still in flight answers 409 with Retry-After and runs nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const svc = t.app.get(IdempotencyService);
    const claim = await svc.claim(
      m.merchantId,
      key,
      fingerprint('PUT', `/customer/${c.id}`, { company: 'A' }),
    );
    expect(claim.kind).toBe('owner');
    const res = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(409);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.body.message).toMatch(/still in progress/);
    expect(await auditTotal(m, c.id)).toBe(1);
  });

  it('a key left in flight by a dead process is usable again once its lease ran out', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const svc = t.app.get(IdempotencyService);
    const longAgo = new Date(Date.now() - 61_000);
    await svc.claim(m.merchantId, key, fingerprint('PUT', `/customer/${c.id}`, { company: 'A' }), longAgo);
    const res = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(200);
    expect(res.body.company).toBe('A');
    const again = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('keys expire after 24 hours and expired keys are purged', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const svc = t.app.get(IdempotencyService);
    const dayAgo = new Date(Date.now() - 24 * 3600_000 - 1000);
    const old = await svc.claim(
      m.merchantId,
      key,
      fingerprint('PUT', `/customer/${c.id}`, { company: 'Old' }),
      dayAgo,
    );
    if (old.kind !== 'owner') throw new Error(`expected to own the key, got ${old.kind}`);
    await svc.store(old.owned, { status: 200, body: { stale: true }, etag: null });
    // Expired: the same key with another body is a fresh request, not a 422.
    const res = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'New' })
      .expect(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    const other = randomUUID();
    await svc.claim(m.merchantId, other, 'f'.repeat(64), dayAgo);
    const ds = t.app.get(DataSource);
    expect(
      await ds.manager.count(IdempotencyKey, { where: { merchant_id: m.merchantId, idem_key: other } }),
    ).toBe(1);
    expect(await svc.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(
      await ds.manager.count(IdempotencyKey, { where: { merchant_id: m.merchantId, idem_key: other } }),
    ).toBe(0);
    expect(
      await ds.manager.count(IdempotencyKey, { where: { merchant_id: m.merchantId, idem_key: key } }),
    ).toBe(1);
  });
  describe('the response is stored in the change’s own transaction', () => {
    // A trigger makes storing the response fail for keys starting "boom-": the moment where a
    // process could die after its change committed but before the response was kept.
    const trigger = `idem_boom_${randomUUID().slice(0, 8)}`;
    let ds: DataSource;
    beforeAll(async () => {
      ds = t.app.get(DataSource);
      await ds.query(
        ds.options.type === 'better-sqlite3'
          ? `CREATE TRIGGER ${trigger} BEFORE UPDATE ON idempotency_keys
             WHEN NEW.state = 'done' AND NEW.idem_key LIKE 'boom-%'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
          : `CREATE TRIGGER ${trigger} BEFORE UPDATE ON idempotency_keys FOR EACH ROW
             BEGIN IF NEW.state = 'done' AND NEW.idem_key LIKE 'boom-%' THEN
               SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`,
      );
    });
    afterAll(async () => {
      await ds.query(`DROP TRIGGER ${trigger}`);
    });

    it.each([
      ['PUT /customer/{id}', 'put', (id: string) => `/customer/${id}`, { company: 'Once' }],
      [
        'PATCH /api/v0/customers/{id}',
        'patch',
        (id: string) => `/api/v0/customers/${id}`,
        { last_name: 'Once' },
      ],
    ] as const)(
      '%s: when the response cannot be stored the change rolls back too, and the retry applies it once',
      async (_label, method, path, body) => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m);
        const failing = `boom-${randomUUID()}`;
        const res = await http(t)
          [method](path(c.id))
          .set(m.bearer)
          .set('idempotency-key', failing)
          .send(body);
        expect(res.status).toBe(500);
        // Nothing of the change is left: the customer as it was, no audit entry, the key free.
        const after = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
        expect(after.body.company ?? null).toBe(c.company ?? null);
        expect(after.body.lastname ?? null).toBe(c.lastname ?? null);
        expect(after.headers['etag']).toBe('"1"');
        expect(await auditTotal(m, c.id)).toBe(1);

        // The client retries (with a key the trigger lets through): the change happens exactly once,
        // and a further retry is a replay.
        const key = `retry-${randomUUID()}`;
        const ok = await http(t)[method](path(c.id)).set(m.bearer).set('idempotency-key', key).send(body);
        expect(ok.status).toBe(200);
        const replay = await http(t)[method](path(c.id)).set(m.bearer).set('idempotency-key', key).send(body);
        expect(replay.status).toBe(200);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.body).toEqual(ok.body);
        expect(await auditTotal(m, c.id)).toBe(2);
      },
    );

    it('POST: a customer is never created without its stored response', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('idempotency-key', `boom-${randomUUID()}`)
        .send({ firstname: 'Once' });
      expect(res.status).toBe(500);
      expect(await customerCount(m)).toBe(0);
    });
  });
});
