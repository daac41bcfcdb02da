/**
 * Webhooks through both surfaces: the events each change sends, with the bodies and headers a
 * client expects and a signature a receiver verifies with the standardwebhooks package; the
 * management routes, their scopes, their bad input (400, nothing stored) and tenant isolation.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import {
  createStaxCustomer,
  http,
  newKey,
  newMerchant,
  startApp,
  TestApp,
  TestMerchant,
} from './support/app';
import { Receiver, startReceiver } from './support/receiver';
import {
  FAST_WEBHOOKS,
  firstOfEach,
  settleDeliveries,
  staxWebhook,
  v0Webhook,
  verify,
  WEBHOOK_SCOPES,
} from './support/webhooks';

describe('webhooks', () => {
  let t: TestApp;
  let rx: Receiver;

  beforeAll(async () => {
    t = await startApp(FAST_WEBHOOKS);
    rx = await startReceiver();
  });
  afterAll(async () => {
    await settleDeliveries(t);
    await t.close();
    await rx.close();
  });
  beforeEach(() => {
    rx.received.length = 0;
    rx.answer = () => 200;
  });

  const merchant = () => newMerchant(t, WEBHOOK_SCOPES);
  const forEndpoint = (id: string) => (r: { path: string }) => r.path === `/${id}`;

  describe('v0 events', () => {
    it('every customer change sends its event: the v0 customer and the changes, signed', async () => {
      const m = await merchant();
      const path = randomUUID();
      const hook = await v0Webhook(t, m, `${rx.url}/${path}`);
      expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(hook.events).toEqual(['*']);

      const created = await http(t)
        .post('/api/v0/customers')
        .set(m.keyPair)
        .send({
          first_name: 'Ada',
          last_name: 'Lovelace',
          email: `ada.${randomUUID()}@example.com`,
          phone_number: '+15555550123',
        })
        .expect(201);
      const id = created.body.id as string;
      await http(t)
        .patch(`/api/v0/customers/${id}`)
        .set(m.keyPair)
        .send({ status: 'DEACTIVATED' })
        .expect(200);
      await http(t).delete(`/customer/${id}`).set(m.bearer).expect(200);
      await http(t).put(`/customer/${id}/restore`).set(m.bearer).expect(200);

      const got = await rx.waitFor((r) => firstOfEach(r.filter(forEndpoint(path))).length >= 5);
      const mine = firstOfEach(got.filter(forEndpoint(path)));
      expect(mine.map((r) => r.json.type)).toEqual([
        'customer.created',
        'customer.updated',
        'customer.status_changed',
        'customer.deleted',
        'customer.restored',
      ]);
      for (const r of mine) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['stax-event-name']).toBeUndefined();
        expect(r.headers['webhook-id']).toBe(r.json.id);
        expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
        // A receiver's check: throws on a bad signature or a stale timestamp.
        expect(verify(hook.secret, r)).toEqual(r.json);
      }
      expect(new Set(mine.map((r) => r.headers['webhook-id'])).size).toBe(5);
      const [first, updated, status] = mine;
      expect(first.json).toEqual({
        id: first.headers['webhook-id'],
        type: 'customer.created',
        createdAt: created.body.createdAt,
        data: {
          object: created.body,
          changes: expect.objectContaining({ first_name: { from: null, to: 'Ada' } }),
        },
      });
      expect(updated.json.data).toMatchObject({
        object: { id, status: 'DEACTIVATED' },
        changes: { status: { from: 'ACTIVE', to: 'DEACTIVATED' } },
      });
      expect(status.json.data).toMatchObject({ changes: { status: { from: 'ACTIVE', to: 'DEACTIVATED' } } });
      expect((mine[3].json.data as { changes: Record<string, unknown> }).changes).toHaveProperty(
        'deleted_at',
      );
    });

    it('an endpoint receives only the events it subscribed to', async () => {
      const m = await merchant();
      const path = randomUUID();
      const hook = await v0Webhook(t, m, `${rx.url}/${path}`, ['customer.status_changed']);
      expect(hook.events).toEqual(['customer.status_changed']);
      const c = await createStaxCustomer(t, m);
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Not sent' }).expect(200);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ status: 'BLACKLISTED' })
        .expect(200);
      const got = await rx.waitFor((r) => r.some(forEndpoint(path)));
      // The status change came after the others: had they been sent, they would have come first.
      expect(firstOfEach(got.filter(forEndpoint(path))).map((r) => r.json.type)).toEqual([
        'customer.status_changed',
      ]);
    });
  });

  describe('Stax events', () => {
    it('create_customer and update_customer carry the customer as GET /customer/{id} shows it', async () => {
      const m = await merchant();
      const createPath = randomUUID();
      const updatePath = randomUUID();
      const onCreate = await staxWebhook(t, m, `${rx.url}/${createPath}`, 'create_customer');
      const onUpdate = await staxWebhook(t, m, `${rx.url}/${updatePath}`, 'update_customer');
      const c = await createStaxCustomer(t, m, { company: 'Acme' });
      const updated = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ notes: 'hi' }).expect(200);
      const deleted = await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const restored = await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).expect(200);

      await rx.waitFor(
        (r) => firstOfEach(r.filter(forEndpoint(updatePath))).length >= 3 && r.some(forEndpoint(createPath)),
      );
      const created = firstOfEach(rx.received.filter(forEndpoint(createPath)));
      expect(created).toHaveLength(1);
      expect(created[0].headers['stax-event-name']).toBe('create_customer');
      expect(created[0].json).toEqual(c);
      expect(verify(onCreate.secret, created[0])).toEqual(c);

      const updates = firstOfEach(rx.received.filter(forEndpoint(updatePath)));
      expect(updates.map((r) => r.headers['stax-event-name'])).toEqual(Array(3).fill('update_customer'));
      expect(updates.map((r) => r.json)).toEqual([updated.body, deleted.body, restored.body]);
      for (const r of updates) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(verify(onUpdate.secret, r)).toEqual(r.json);
      }
    });

    it('a signature made with another secret does not verify', async () => {
      const m = await merchant();
      const path = randomUUID();
      await staxWebhook(t, m, `${rx.url}/${path}`, 'create_customer');
      const other = await staxWebhook(t, m, `${rx.url}/${randomUUID()}`, 'update_customer');
      await createStaxCustomer(t, m);
      const [r] = (await rx.waitFor((all) => all.some(forEndpoint(path)))).filter(forEndpoint(path));
      expect(() => verify(other.secret, r)).toThrow();
      expect(() => verify(other.secret, { ...r, body: r.body.replace('John', 'Jane') })).toThrow();
    });
  });

  describe('management', () => {
    it('Stax: create through query or body, list as a Laravel page, get, soft delete', async () => {
      const m = await merchant();
      const a = await staxWebhook(t, m, `${rx.url}/a`, 'create_customer');
      const b = await http(t)
        .post('/webhook')
        .set(m.bearer)
        .send({ target_url: `${rx.url}/b`, event: 'update_customer' })
        .expect(200);
      expect(b.body).toEqual({
        id: expect.any(String),
        merchant_id: m.merchantId,
        url: `${rx.url}/b`,
        event: 'update_customer',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        updated_at: expect.any(String),
        deleted_at: null,
        disabled_at: null,
        disabled_reason: null,
        secret: expect.stringMatching(/^whsec_/),
      });
      const list = await http(t).get('/webhook').set(m.bearer).expect(200);
      expect(list.body).toMatchObject({ current_page: 1, total: 2, per_page: 50 });
      expect(list.body.data.map((w: { id: string }) => w.id).sort()).toEqual([a.id, b.body.id].sort());
      for (const w of list.body.data) expect(w).not.toHaveProperty('secret');
      const one = await http(t).get(`/webhook/${a.id}`).set(m.bearer).expect(200);
      expect(one.body).not.toHaveProperty('secret');

      const del = await http(t).delete(`/webhook/${a.id}`).set(m.bearer).expect(200);
      expect(del.body.deleted_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      await http(t).delete(`/webhook/${a.id}`).set(m.bearer).expect(404);
      expect((await http(t).get('/webhook').set(m.bearer).expect(200)).body.total).toBe(1);

      // A deleted endpoint receives nothing more.
      await createStaxCustomer(t, m);
      const probe = await staxWebhook(t, m, `${rx.url}/probe`, 'create_customer');
      await createStaxCustomer(t, m);
      await rx.waitFor((r) => r.some((x) => x.path === '/probe'));
      expect(rx.received.filter((x) => x.path === '/a')).toHaveLength(0);
      expect(probe.id).toBeDefined();
    });

    it('v0: create, list, get, delete; each surface sees only its own webhooks', async () => {
      const m = await merchant();
      const v = await v0Webhook(t, m, `${rx.url}/v`, ['customer.created', 'customer.created']);
      expect(v.events).toEqual(['customer.created']);
      const s = await staxWebhook(t, m, `${rx.url}/s`, 'create_customer');
      const list = await http(t).get('/api/v0/webhooks').set(m.keyPair).expect(200);
      expect(list.body).toMatchObject({ total: 1, skip: 0, take: 10 });
      expect(list.body.data[0]).toEqual({
        id: v.id,
        url: `${rx.url}/v`,
        events: ['customer.created'],
        enabled: true,
        disabled_reason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        deletedAt: null,
      });
      await http(t).get(`/api/v0/webhooks/${s.id}`).set(m.keyPair).expect(404);
      await http(t).get(`/webhook/${v.id}`).set(m.bearer).expect(404);
      const del = await http(t).delete(`/api/v0/webhooks/${v.id}`).set(m.keyPair).expect(200);
      expect(del.body.deletedAt).toEqual(expect.any(String));
      await http(t).get(`/api/v0/webhooks/${v.id}`).set(m.keyPair).expect(404);
    });

    it('v0: PATCH changes the URL and the events; the next changes follow them, signed with the same secret', async () => {
      const m = await merchant();
      const [before, after] = [randomUUID(), randomUUID()];
      const hook = await v0Webhook(t, m, `${rx.url}/${before}`, ['customer.created']);
      const first = await createStaxCustomer(t, m);
      await rx.waitFor((r) => r.some(forEndpoint(before)));

      const res = await http(t)
        .patch(`/api/v0/webhooks/${hook.id}`)
        .set(m.keyPair)
        .send({ url: `${rx.url}/${after}`, events: ['customer.updated', 'customer.updated'] })
        .expect(200);
      expect(res.body).toEqual({
        id: hook.id,
        url: `${rx.url}/${after}`,
        events: ['customer.updated'],
        enabled: true,
        disabled_reason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        deletedAt: null,
      });
      expect(res.body.updatedAt > res.body.createdAt).toBe(true);
      expect((await http(t).get(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200)).body).toEqual(
        res.body,
      );

      // Not subscribed any more: a creation; subscribed now: an update. Both after the PATCH.
      await createStaxCustomer(t, m);
      await http(t).put(`/customer/${first.id}`).set(m.bearer).send({ company: 'Moved' }).expect(200);
      const got = await rx.waitFor((r) => r.some(forEndpoint(after)));
      const moved = firstOfEach(got.filter(forEndpoint(after)));
      expect(moved.map((r) => r.json.type)).toEqual(['customer.updated']);
      expect(verify(hook.secret, moved[0])).toMatchObject({ type: 'customer.updated' });
      expect(firstOfEach(rx.received.filter(forEndpoint(before)))).toHaveLength(1);

      // One field at a time; the other stays.
      const onlyEvents = await http(t)
        .patch(`/api/v0/webhooks/${hook.id}`)
        .set(m.keyPair)
        .send({ events: ['*', 'customer.created'] })
        .expect(200);
      expect(onlyEvents.body).toMatchObject({ url: `${rx.url}/${after}`, events: ['*'] });
      const onlyUrl = await http(t)
        .patch(`/api/v0/webhooks/${hook.id}`)
        .set(m.keyPair)
        .send({ url: `${rx.url}/${before}` })
        .expect(200);
      expect(onlyUrl.body).toMatchObject({ url: `${rx.url}/${before}`, events: ['*'] });
      expect(onlyUrl.body).not.toHaveProperty('secret');

      // A deleted webhook, or one of the other surface, is not found.
      const stax = await staxWebhook(t, m, `${rx.url}/s`, 'create_customer');
      await http(t)
        .patch(`/api/v0/webhooks/${stax.id}`)
        .set(m.keyPair)
        .send({ url: `${rx.url}/x` })
        .expect(404);
      await http(t).delete(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200);
      await http(t)
        .patch(`/api/v0/webhooks/${hook.id}`)
        .set(m.keyPair)
        .send({ url: `${rx.url}/x` })
        .expect(404);
    });

    it('Stax: PUT /webhook/{id} takes target_url and event as create does (query or body)', async () => {
      const m = await merchant();
      const [a, b] = [randomUUID(), randomUUID()];
      const hook = await staxWebhook(t, m, `${rx.url}/${a}`, 'create_customer');
      const res = await http(t)
        .put(`/webhook/${hook.id}`)
        .query({ target_url: `${rx.url}/${b}`, event: 'update_customer' })
        .set(m.bearer)
        .expect(200);
      expect(res.body).toEqual({
        id: hook.id,
        merchant_id: m.merchantId,
        url: `${rx.url}/${b}`,
        event: 'update_customer',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        updated_at: expect.any(String),
        deleted_at: null,
        disabled_at: null,
        disabled_reason: null,
      });
      const c = await createStaxCustomer(t, m);
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Moved' }).expect(200);
      const got = await rx.waitFor((r) => r.some(forEndpoint(b)));
      const toB = firstOfEach(got.filter(forEndpoint(b)));
      expect(toB.map((r) => r.headers['stax-event-name'])).toEqual(['update_customer']);
      expect(verify(hook.secret, toB[0])).toMatchObject({ id: c.id, company: 'Moved' });
      expect(rx.received.filter(forEndpoint(a))).toHaveLength(0);

      // A JSON body, one field: the other stays.
      const body = await http(t)
        .put(`/webhook/${hook.id}`)
        .set(m.bearer)
        .send({ event: 'create_customer' })
        .expect(200);
      expect(body.body).toMatchObject({ url: `${rx.url}/${b}`, event: 'create_customer' });
      expect((await http(t).get(`/webhook/${hook.id}`).set(m.bearer).expect(200)).body).toEqual(body.body);
    });

    it('an update with bad input is 400 with a clear message and changes nothing', async () => {
      const m = await merchant();
      const v = await v0Webhook(t, m, `${rx.url}/v`, ['customer.created']);
      const s = await staxWebhook(t, m, `${rx.url}/s`, 'create_customer');
      const v0Cases: [Record<string, unknown>, string][] = [
        [{}, 'Give url or events, or both, to change'],
        [{ url: 'not a url' }, 'url must be an absolute http or https URL'],
        [{ url: 'ftp://example.com/x' }, 'url must be an http or https URL'],
        [{ url: null }, 'url must be a string'],
        [{ url: `${rx.url}/y`, events: ['customer.exploded'] }, 'each of events must be one of'],
        [{ events: [] }, 'events must contain at least 1 elements'],
        [{ events: null }, 'events must be an array'],
        [{ url: `${rx.url}/y`, secret: 'mine' }, 'property secret should not exist'],
        [{ url: `${rx.url}/y`, enabled: false }, 'property enabled should not exist'],
      ];
      for (const [body, message] of v0Cases) {
        const res = await http(t).patch(`/api/v0/webhooks/${v.id}`).set(m.keyPair).send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(res.body.message)).toContain(message);
      }
      const staxCases: [Record<string, unknown>, Record<string, unknown>, string][] = [
        [{}, {}, 'Give target_url or event, or both, to change'],
        [{ event: 'delete_customer' }, {}, 'event must be one of: create_customer, update_customer'],
        [{ target_url: 'http://' }, {}, 'target_url must be an absolute http or https URL'],
        [{ target_url: '' }, {}, 'target_url must be an absolute http or https URL'],
        [{}, { target_url: `${rx.url}/y`, extra: 1 }, 'property extra should not exist'],
        [{ event: 'update_customer' }, { target_url: `${rx.url}/y` }, 'not both'],
        [{ event: 'update_customer', foo: '1' }, {}, 'property foo should not exist'],
      ];
      for (const [query, body, message] of staxCases) {
        const res = await http(t).put(`/webhook/${s.id}`).query(query).set(m.bearer).send(body);
        expect({ query, body, status: res.status }).toEqual({ query, body, status: 400 });
        expect(JSON.stringify(res.body.message)).toContain(message);
      }
      const v0Now = await http(t).get(`/api/v0/webhooks/${v.id}`).set(m.keyPair).expect(200);
      expect(v0Now.body).toMatchObject({ url: `${rx.url}/v`, events: ['customer.created'] });
      expect(v0Now.body.updatedAt).toBe(v0Now.body.createdAt);
      const staxNow = await http(t).get(`/webhook/${s.id}`).set(m.bearer).expect(200);
      expect(staxNow.body).toMatchObject({ url: `${rx.url}/s`, event: 'create_customer' });
      expect(staxNow.body.updated_at).toBe(staxNow.body.created_at);
    });

    it('bad input is 400 with a clear message and stores nothing', async () => {
      const m = await merchant();
      const cases: [string, Record<string, unknown>, string][] = [
        ['/api/v0/webhooks', { url: 'not a url' }, 'url must be an absolute http or https URL'],
        ['/api/v0/webhooks', { url: 'ftp://example.com/x' }, 'url must be an http or https URL'],
        ['/api/v0/webhooks', { url: `${rx.url}/x#frag` }, 'url must not have a #fragment'],
        [
          '/api/v0/webhooks',
          { url: `${rx.url}/x`, events: ['customer.exploded'] },
          'each of events must be one of',
        ],
        ['/api/v0/webhooks', { url: `${rx.url}/x`, events: [] }, 'events must contain at least 1 elements'],
        ['/api/v0/webhooks', { url: `${rx.url}/x`, secret: 'mine' }, 'property secret should not exist'],
        ['/api/v0/webhooks', {}, 'url must be a string'],
        [
          '/webhook',
          { target_url: `${rx.url}/x`, event: 'delete_customer' },
          'event must be one of: create_customer, update_customer',
        ],
        ['/webhook', { target_url: `${rx.url}/x` }, 'target_url and event are required'],
        [
          '/webhook',
          { target_url: 'http://', event: 'create_customer' },
          'target_url must be an absolute http or https URL',
        ],
        [
          '/webhook',
          { target_url: `${rx.url}/x`, event: 'create_customer', extra: 1 },
          'property extra should not exist',
        ],
        [
          '/webhook',
          { target_url: `http://${'a'.repeat(2100)}.example`, event: 'create_customer' },
          'target_url must be shorter than or equal to 2048 characters',
        ],
      ];
      for (const [path, body, message] of cases) {
        const res = await http(t).post(path).set(m.keyPair).send(body);
        expect({ path, body: Object.keys(body), status: res.status }).toEqual({
          path,
          body: Object.keys(body),
          status: 400,
        });
        expect(JSON.stringify(res.body.message)).toContain(message);
      }
      // Stax fields both in the query and the body.
      const both = await http(t)
        .post('/webhook')
        .query({ target_url: `${rx.url}/x`, event: 'create_customer' })
        .set(m.bearer)
        .send({ target_url: `${rx.url}/y`, event: 'create_customer' })
        .expect(400);
      expect(both.body.message[0]).toContain('not both');
      await http(t)
        .post('/webhook')
        .query({ target_url: `${rx.url}/x`, event: 'nope' })
        .set(m.bearer)
        .expect(400);
      await http(t)
        .post('/webhook')
        .query({ target_url: `${rx.url}/x`, event: 'create_customer', foo: '1' })
        .set(m.bearer)
        .expect(400);
      await http(t).get('/api/v0/webhooks/not-a-uuid').set(m.keyPair).expect(400);

      expect((await http(t).get('/api/v0/webhooks').set(m.keyPair).expect(200)).body.total).toBe(0);
      expect((await http(t).get('/webhook').set(m.bearer).expect(200)).body.total).toBe(0);
    });

    it('more than 20 webhooks per merchant (both surfaces together) is 400', async () => {
      const m = await merchant();
      await Promise.all(Array.from({ length: 10 }, (_, i) => v0Webhook(t, m, `${rx.url}/n${i}`)));
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => staxWebhook(t, m, `${rx.url}/s${i}`, 'create_customer')),
      );
      // Racing for the last places: the limit holds.
      const more = await Promise.all(
        Array.from({ length: 3 }, () =>
          http(t)
            .post('/api/v0/webhooks')
            .set(m.keyPair)
            .send({ url: `${rx.url}/z` }),
        ),
      );
      expect(more.map((r) => r.status)).toEqual([400, 400, 400]);
      expect(more[0].body.message).toEqual(['A merchant can have at most 20 webhooks; delete one first']);
      const list = await http(t).get('/api/v0/webhooks').set(m.keyPair).query({ take: 100 }).expect(200);
      expect(list.body.total).toBe(10);
      // Deleting one frees a place.
      await http(t).delete(`/api/v0/webhooks/${list.body.data[0].id}`).set(m.keyPair).expect(200);
      await v0Webhook(t, m, `${rx.url}/again`);
    });

    it('needs webhooks:write to manage and webhooks:read to read; default keys have neither', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/api/v0/webhooks')
        .set(m.keyPair)
        .send({ url: `${rx.url}/x` })
        .expect(403);
      expect(res.body.message).toBe('This API key lacks the scope webhooks:write');
      await http(t).get('/webhook').set(m.bearer).expect(403);
      const reader = await newKey(t, m.merchantId, ['webhooks:read']);
      await http(t).get('/webhook').set(reader.bearer).expect(200);
      await http(t)
        .post('/webhook')
        .query({ target_url: `${rx.url}/x`, event: 'create_customer' })
        .set(reader.bearer)
        .expect(403);
      const writer = await newKey(t, m.merchantId, ['webhooks:write']);
      const hook = await staxWebhook(t, writer, `${rx.url}/x`, 'create_customer');
      await http(t).get(`/webhook/${hook.id}/deliveries`).set(writer.bearer).expect(403);
      await http(t).get(`/webhook/${hook.id}/deliveries`).set(reader.bearer).expect(200);
      await http(t)
        .put(`/webhook/${hook.id}`)
        .query({ event: 'update_customer' })
        .set(reader.bearer)
        .expect(403);
      await http(t)
        .put(`/webhook/${hook.id}`)
        .query({ event: 'update_customer' })
        .set(writer.bearer)
        .expect(200);
      const v0 = await v0Webhook(t, writer, `${rx.url}/x`);
      await http(t)
        .patch(`/api/v0/webhooks/${v0.id}`)
        .set(reader.keyPair)
        .send({ events: ['customer.created'] })
        .expect(403);
      await http(t)
        .patch(`/api/v0/webhooks/${v0.id}`)
        .set(writer.keyPair)
        .send({ events: ['customer.created'] })
        .expect(200);
      await http(t).delete(`/webhook/${hook.id}`).set(reader.bearer).expect(403);
      await http(t).delete(`/webhook/${hook.id}`).set(writer.bearer).expect(200);
    });

    it("a merchant never sees, changes or receives another merchant's webhooks", async () => {
      const a = await merchant();
      const b = await merchant();
      const pathA = randomUUID();
      const hook = await v0Webhook(t, a, `${rx.url}/${pathA}`);
      for (const [method, path] of [
        ['get', `/api/v0/webhooks/${hook.id}`],
        ['delete', `/api/v0/webhooks/${hook.id}`],
        ['post', `/api/v0/webhooks/${hook.id}/rotate-secret`],
        ['post', `/api/v0/webhooks/${hook.id}/enable`],
        ['get', `/api/v0/webhooks/${hook.id}/deliveries`],
        ['post', `/api/v0/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`],
      ] as const) {
        await http(t)[method](path).set(b.keyPair).expect(404);
      }
      await http(t)
        .patch(`/api/v0/webhooks/${hook.id}`)
        .set(b.keyPair)
        .send({ url: `${rx.url}/stolen` })
        .expect(404);
      const staxHook = await staxWebhook(t, a, `${rx.url}/${pathA}-stax`, 'update_customer');
      await http(t)
        .put(`/webhook/${staxHook.id}`)
        .query({ target_url: `${rx.url}/stolen` })
        .set(b.bearer)
        .expect(404);
      expect((await http(t).get(`/webhook/${staxHook.id}`).set(a.bearer).expect(200)).body.url).toBe(
        `${rx.url}/${pathA}-stax`,
      );
      expect((await http(t).get(`/api/v0/webhooks/${hook.id}`).set(a.keyPair).expect(200)).body.url).toBe(
        `${rx.url}/${pathA}`,
      );
      expect((await http(t).get('/api/v0/webhooks').set(b.keyPair).expect(200)).body.total).toBe(0);
      // B's changes do not reach A's endpoint; A's do.
      await createStaxCustomer(t, b);
      const mine = await createStaxCustomer(t, a);
      const got = await rx.waitFor((r) => r.some(forEndpoint(pathA)));
      const toA = firstOfEach(got.filter(forEndpoint(pathA)));
      expect(toA).toHaveLength(1);
      expect((toA[0].json.data as { object: { id: string } }).object.id).toBe(mine.id);
    });

    it('an idempotency key replays a create without the secret, and makes one webhook', async () => {
      const m = await merchant();
      const key = randomUUID();
      const send = () =>
        http(t)
          .post('/api/v0/webhooks')
          .set(m.keyPair)
          .set('idempotency-key', key)
          .send({ url: `${rx.url}/i` });
      const first = await send().expect(201);
      expect(first.body.secret).toMatch(/^whsec_/);
      const again = await send().expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual({ ...first.body, secret: null });
      expect((await http(t).get('/api/v0/webhooks').set(m.keyPair).expect(200)).body.total).toBe(1);
      // The secret is stored nowhere in the clear.
      const db = t.app.get(DatabaseService);
      const rows = await db.query<Record<string, unknown>[]>(
        'SELECT * FROM idempotency_keys WHERE merchant_id = ?',
        [m.merchantId],
      );
      const endpoints = await db.query<Record<string, unknown>[]>(
        'SELECT * FROM webhook_endpoints WHERE merchant_id = ?',
        [m.merchantId],
      );
      expect(JSON.stringify([rows, endpoints])).not.toContain(first.body.secret.slice(6));

      const patchKey = randomUUID();
      const patch = (url: string) =>
        http(t)
          .patch(`/api/v0/webhooks/${first.body.id}`)
          .set(m.keyPair)
          .set('idempotency-key', patchKey)
          .send({ url });
      const p1 = await patch(`${rx.url}/p`).expect(200);
      // Changed by someone else meanwhile: the replay still answers what the first request did.
      await http(t)
        .patch(`/api/v0/webhooks/${first.body.id}`)
        .set(m.keyPair)
        .send({ url: `${rx.url}/q` })
        .expect(200);
      const p2 = await patch(`${rx.url}/p`).expect(200);
      expect(p2.headers['idempotent-replayed']).toBe('true');
      expect(p2.body).toEqual(p1.body);
      expect((await http(t).get(`/api/v0/webhooks/${first.body.id}`).set(m.keyPair)).body.url).toBe(
        `${rx.url}/q`,
      );
      await patch(`${rx.url}/other`).expect(422);

      const delKey = randomUUID();
      const del = () =>
        http(t).delete(`/api/v0/webhooks/${first.body.id}`).set(m.keyPair).set('idempotency-key', delKey);
      const d1 = await del().expect(200);
      const d2 = await del().expect(200);
      expect(d2.headers['idempotent-replayed']).toBe('true');
      expect(d2.body).toEqual(d1.body);
    });
  });

  it('a merchant without webhooks pays only for the outbox lookup: customer writes still work', async () => {
    const m: TestMerchant = await merchant();
    const c = await createStaxCustomer(t, m);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'X' }).expect(200);
    const rows = await t.app
      .get(DatabaseService)
      .query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE merchant_id = ?', [
        m.merchantId,
      ]);
    expect(Number(rows[0].n)).toBe(0);
  });

  describe('targets on private addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)', () => {
    let strict: TestApp;
    beforeAll(async () => {
      strict = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    });
    afterAll(() => strict.close());

    it.each([
      ['http://127.0.0.1:8080/hook', 'loopback'],
      ['http://localhost/hook', 'loopback'],
      ['http://[::1]/hook', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
      ['http://10.0.0.7/hook', 'private'],
      ['http://192.168.1.20/hook', 'private'],
      ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
      ['http://0.0.0.0/hook', 'unspecified'],
    ])('%s is refused with 400 and stores nothing', async (url, range) => {
      const m = await newMerchant(strict, WEBHOOK_SCOPES);
      const v0 = await http(strict).post('/api/v0/webhooks').set(m.keyPair).send({ url }).expect(400);
      expect(v0.body.message[0]).toMatch(new RegExp(`^url is refused: .*${range}`));
      const stax = await http(strict)
        .post('/webhook')
        .query({ target_url: url, event: 'create_customer' })
        .set(m.bearer)
        .expect(400);
      expect(stax.body.message[0]).toMatch(/^target_url is refused/);
      expect((await http(strict).get('/api/v0/webhooks').set(m.keyPair).expect(200)).body.total).toBe(0);
      expect((await http(strict).get('/webhook').set(m.bearer).expect(200)).body.total).toBe(0);

      // Changing a webhook to such a URL is refused too, and changes nothing.
      // Public (example.com's address); nothing is sent to it: this merchant makes no customer change.
      const publicUrl = 'http://93.184.215.14/hook';
      const v = await v0Webhook(strict, m, publicUrl);
      const patched = await http(strict)
        .patch(`/api/v0/webhooks/${v.id}`)
        .set(m.keyPair)
        .send({ url })
        .expect(400);
      expect(patched.body.message[0]).toMatch(new RegExp(`^url is refused: .*${range}`));
      const s = await staxWebhook(strict, m, publicUrl, 'create_customer');
      const put = await http(strict)
        .put(`/webhook/${s.id}`)
        .query({ target_url: url })
        .set(m.bearer)
        .expect(400);
      expect(put.body.message[0]).toMatch(/^target_url is refused/);
      expect((await http(strict).get(`/api/v0/webhooks/${v.id}`).set(m.keyPair)).body.url).toBe(publicUrl);
      expect((await http(strict).get(`/webhook/${s.id}`).set(m.bearer)).body.url).toBe(publicUrl);
    });
  });
});
