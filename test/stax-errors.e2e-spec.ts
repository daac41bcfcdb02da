import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { expectError } from './support/stax';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Errors and request ids (docs/behaviour.md, "Errors") on the Stax surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('x-request-id', () => {
    it('is echoed on a success response when sent', async () => {
      const m = await newMerchant(t);
      const id = `req-${randomUUID()}`;
      const res = await http(t).get('/customer').set(m.bearer).set('x-request-id', id).expect(200);
      expect(res.headers['x-request-id']).toBe(id);
    });

    it('is echoed on an error response when sent, and repeated as requestId', async () => {
      const m = await newMerchant(t);
      const id = `req-${randomUUID()}`;
      const res = await http(t).get(`/customer/${randomUUID()}`).set(m.bearer).set('x-request-id', id);
      expectError(res, 404);
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.body.requestId).toBe(id);
    });

    it('is echoed on a 401 (before authentication)', async () => {
      const id = `req-${randomUUID()}`;
      const res = await http(t).get('/customer').set('x-request-id', id);
      expectError(res, 401);
      expect(res.body.requestId).toBe(id);
    });

    it('is generated when not sent, on success and error responses, new for each request', async () => {
      const m = await newMerchant(t);
      const ok = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A' }).expect(200);
      const again = await http(t).get(`/customer/${ok.body.id}`).set(m.bearer).expect(200);
      const err = await http(t).post('/customer').set(m.bearer).send({});
      expect(ok.headers['x-request-id']).toMatch(UUID);
      expect(again.headers['x-request-id']).toMatch(UUID);
      expectError(err, 400);
      expect(err.headers['x-request-id']).toMatch(UUID);
      expect(new Set([ok, again, err].map((r) => r.headers['x-request-id'])).size).toBe(3);
    });

    it('an unusable x-request-id (too long, or with spaces) is replaced by a generated one, never a 500', async () => {
      const m = await newMerchant(t);
      for (const sent of ['x'.repeat(500), 'has spaces in it']) {
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .set('x-request-id', sent)
          .send({ firstname: 'A' });
        expect(res.status).toBe(200);
        expect(res.headers['x-request-id']).toMatch(UUID);
      }
    });
  });

  describe('the error envelope', () => {
    it('400 validation: message is an array of strings', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.bearer).send({ email: 'bad' });
      expectError(res, 400, 'email must be a valid email address');
      expect(res.body.error).toBe('Bad Request');
      expect(Array.isArray(res.body.message)).toBe(true);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('401, 403, 404, 409 and 412: message is a string, error is the status text', async () => {
      const m = await newMerchant(t);
      const reader = await newMerchant(t, ['customers:read']);
      const c = await createStaxCustomer(t, m);
      const cases = [
        [await http(t).get('/customer'), 401, 'Unauthorized'],
        [await http(t).post('/customer').set(reader.bearer).send({ firstname: 'A' }), 403, 'Forbidden'],
        [await http(t).get(`/customer/${randomUUID()}`).set(m.bearer), 404, 'Not Found'],
        [await http(t).post('/customer').set(m.bearer).send({ email: c.email }), 409, 'Conflict'],
        [
          await http(t).put(`/customer/${c.id}`).set(m.bearer).set('If-Match', '"7"').send({ notes: 'x' }),
          412,
          'Precondition Failed',
        ],
      ] as const;
      for (const [res, status, error] of cases) {
        expectError(res, status);
        expect(res.body.error).toBe(error);
        expect(typeof res.body.message).toBe('string');
        expect(res.body.message.length).toBeGreaterThan(0);
      }
    });

    it('an unknown route answers 404 in the same envelope', async () => {
      const m = await newMerchant(t);
      const res = await http(t).get('/customers-typo').set(m.bearer);
      expectError(res, 404);
    });

    it('an error body leaks no stack, SQL or secret', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t).post('/customer').set(m.bearer).send({ email: c.email });
      expectError(res, 409);
      expect(res.text).not.toMatch(/uq_customers|INSERT|UNIQUE|Duplicate|at .*\.ts|sk_/i);
    });
  });

  describe('request bodies', () => {
    it('malformed JSON is 400', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send('{"firstname": "A",');
      expectError(res, 400, 'Malformed JSON in request body');
    });

    it('malformed JSON on PUT is 400 and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send("{'firstname': 'single quotes'}");
      expectError(res, 400, 'Malformed JSON in request body');
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(c);
    });

    it.each([
      ['null', 'null'],
      ['a string', '"firstname"'],
      ['a number', '42'],
    ])('a JSON body that is %s is 400', async (_label, text) => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send(text);
      expectError(res, 400);
    });

    it('a JSON array body is 400', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send([{ firstname: 'A' }]);
      expectError(res, 400, 'Request body must be a JSON object');
      const list = await http(t).get('/customer').set(m.bearer).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('a JSON array body on PUT is 400', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      expectError(await http(t).put(`/customer/${c.id}`).set(m.bearer).send([]), 400);
    });

    it('a body over 100kb is 413 and stores nothing', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ firstname: 'Big', notes: 'x'.repeat(101 * 1024) });
      expectError(res, 413);
      expect(res.body.error).toBe('Payload Too Large');
      const list = await http(t).get('/customer').set(m.bearer).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('a body just under 100kb is not refused for its size', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ firstname: 'Big', notes: 'x'.repeat(99 * 1024) });
      // Refused by the notes length rule, not by the body limit.
      expectError(res, 400, 'notes must be shorter than or equal to 21844 characters');
    });

    it.each([
      ['at the top level', '{"firstname":"A","__proto__":{"polluted":true}}'],
      ['inside options', '{"firstname":"A","options":{"__proto__":{"polluted":true}}}'],
      ['deeper inside options', '{"firstname":"A","options":{"a":[{"__proto__":{"polluted":true}}]}}'],
    ])('a `__proto__` key %s is 400', async (_label, text) => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send(text);
      expectError(res, 400, '__proto__');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const list = await http(t).get('/customer').set(m.bearer).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('a text/plain body is 415', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'text/plain')
        .send('{"firstname":"A"}');
      expectError(res, 415);
      expect(res.body.error).toBe('Unsupported Media Type');
      const list = await http(t).get('/customer').set(m.bearer).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('a form-encoded body on PUT is 415 and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('firstname=Changed');
      expectError(res, 415);
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body.firstname).toBe('John');
    });

    it('application/json with a charset is accepted', async () => {
      const m = await newMerchant(t);
      await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ firstname: 'A' }))
        .expect(200);
    });
  });
});
