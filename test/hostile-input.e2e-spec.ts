import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { Customer } from '../src/customers/customer.entity';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { expectError, storedCustomer } from './support/stax';

/**
 * Input an attacker or a broken client might send, beyond what test/stax-errors.e2e-spec.ts
 * covers: deep or huge JSON, prototype keys, SQL metacharacters, Unicode, invalid UTF-8, oversized
 * and duplicated headers. The promise each time: a 4xx or a correct answer, never a 5xx, and
 * nothing stored that should not be.
 */

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request through node:http, so headers can be repeated (supertest merges them). `chunked` sends
 * the body in 16 KiB pieces without a Content-Length, as a streaming client does.
 */
function rawRequest(
  t: TestApp,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string | Buffer,
  chunked = false,
): Promise<RawResponse> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    // An array value sends the header once per element.
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    if (body === undefined || !chunked) {
      if (body !== undefined) req.setHeader('content-length', Buffer.byteLength(body));
      req.end(body);
      return;
    }
    for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.slice(i, i + 16 * 1024));
    req.end();
  });
}

/** Writes bytes on a plain socket and returns everything the server sent before closing. */
function rawSocket(t: TestApp, bytes: Buffer | string): Promise<string> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    // A reset after the answer is fine: what was read is what counts.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err),
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('socket timeout')));
    socket.write(bytes);
  });
}

function jsonOf(res: RawResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}

const LONE_SURROGATE = /\p{Cs}/u;

const customerCount = (t: TestApp, m: TestMerchant) =>
  t.app
    .get(DataSource)
    .getRepository(Customer)
    .count({ where: { merchant_id: m.merchantId } });

describe('hostile input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('bodies over BODY_LIMIT', () => {
    it('a chunked body that grows past the limit is 413 naming it, as an announced one is', async () => {
      const m = await newMerchant(t);
      const body = JSON.stringify({ firstname: 'Big', notes: 'x'.repeat(101 * 1024) });
      const headers = { ...m.bearer, 'content-type': 'application/json' };
      const chunked = await rawRequest(t, 'POST', '/customer', headers, body, true);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toMatchObject({
        statusCode: 413,
        message: 'Request body is larger than 100kb',
      });
      const announced = await http(t).post('/customer').set(m.bearer).send(body).type('json').expect(413);
      expect(announced.body.message).toBe('Request body is larger than 100kb');
      expect((await http(t).get('/customer').set(m.bearer).expect(200)).body.total).toBe(0);
    });
  });

  describe('deep and huge JSON', () => {
    const DEPTH = 5000;
    const deepObject = (leaf: string) => '{"a":'.repeat(DEPTH) + leaf + '}'.repeat(DEPTH);
    const deepArray = (leaf: string) => '['.repeat(DEPTH) + leaf + ']'.repeat(DEPTH);

    // Each body nests 5,000 levels somewhere; some stay under the 16 KiB options limit.
    const DEEP_BODIES: [string, string][] = [
      ['a deep object as the whole body', deepObject('1')],
      ['a deep object in options', `{"firstname":"A","options":${deepObject('1')}}`],
      [
        'a deep array in options (10 KB, under the options limit)',
        `{"firstname":"A","options":{"a":${deepArray('1')}}}`,
      ],
      ['a deep array in cc_emails', `{"firstname":"A","cc_emails":${deepArray('"x@example.com"')}}`],
      ['a deep array in firstname', `{"firstname":${deepArray('"A"')}}`],
      ['a deep object under an unknown key', `{"firstname":"A","junk":${deepObject('null')}}`],
    ];

    it.each(DEEP_BODIES)('POST /customer with %s is 4xx, never 5xx', async (_label, text) => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send(text);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectError(res, res.status);
      expect(await customerCount(t, m)).toBe(0);
    });

    it.each(DEEP_BODIES)(
      'PUT and PATCH with %s and an idempotency-key are 4xx and change nothing',
      async (_label, text) => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m);
        const before = await storedCustomer(t, c.id);
        for (const req of [
          http(t).put(`/customer/${c.id}`).set(m.bearer),
          http(t).patch(`/api/v0/customers/${c.id}`).set(m.keyPair),
          http(t).post('/api/v0/customers').set(m.keyPair),
        ]) {
          const res = await req
            .set('idempotency-key', randomUUID())
            .set('Content-Type', 'application/json')
            .send(text);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expectError(res, res.status);
        }
        expect(await storedCustomer(t, c.id)).toEqual(before);
        expect(await customerCount(t, m)).toBe(1);
      },
    );

    it('5,000 unknown keys (under the body limit) are 400, and nothing is stored', async () => {
      const m = await newMerchant(t);
      const body: Record<string, string> = { firstname: 'A' };
      for (let i = 0; i < 5000; i++) body[`k${i}`] = 'v';
      expect(JSON.stringify(body).length).toBeLessThan(100 * 1024);
      const res = await http(t).post('/customer').set(m.bearer).send(body);
      expectError(res, 400, 'property k0 should not exist');
      const v0 = await http(t).post('/api/v0/customers').set(m.keyPair).send(body);
      expectError(v0, 400);
      expect(await customerCount(t, m)).toBe(0);
    });

    it('5,000 keys inside options and 5,000 cc_emails are 400', async () => {
      const m = await newMerchant(t);
      const options: Record<string, number> = {};
      for (let i = 0; i < 5000; i++) options[`key_${i}`] = i;
      expectError(
        await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', options }),
        400,
        'options must be at most 16384 bytes as JSON',
      );
      const ccEmails = Array.from({ length: 5000 }, (_, i) => `c${i}@example.com`);
      expectError(
        await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', cc_emails: ccEmails }),
        400,
        'cc_emails must contain no more than 20 elements',
      );
      expect(await customerCount(t, m)).toBe(0);
    });

    it('a 500-entry keywords[] query is 400, never 5xx', async () => {
      const m = await newMerchant(t);
      // 500 entries: the URL stays under Node's 16 KiB header limit, so the app itself answers.
      const qs = Array.from({ length: 500 }, (_, i) => `keywords[]=k${i}`).join('&');
      const res = await http(t).get(`/customer?${qs}`).set(m.bearer);
      expectError(res, 400, 'keywords[] must contain no more than 10 elements');
    });
  });

  describe('prototype keys', () => {
    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each([
      [
        'constructor.prototype at the top level',
        '{"firstname":"A","constructor":{"prototype":{"polluted":true}}}',
      ],
      [
        'constructor inside options',
        '{"firstname":"A","options":{"constructor":{"prototype":{"polluted":1}}}}',
      ],
      ['prototype inside options', '{"firstname":"A","options":{"x":{"prototype":{"polluted":1}}}}'],
      ['__proto__ inside an array', '{"firstname":"A","cc_emails":[{"__proto__":{"polluted":true}}]}'],
      [
        'an escaped \\u005f\\u005fproto\\u005f\\u005f key',
        '{"firstname":"A","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}',
      ],
    ])('%s on POST /customer and PATCH v0 is 400 and pollutes nothing', async (_label, text) => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const post = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send(text);
      expectError(post, 400);
      const patch = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .set('Content-Type', 'application/json')
        .send(text.replace('"firstname"', '"first_name"'));
      expectError(patch, 400);
      expect(await customerCount(t, m)).toBe(1);
      expect((await storedCustomer(t, c.id)).version).toBe(1);
    });

    it.each([
      '__proto__[polluted]=1',
      '__proto__.polluted=1',
      'constructor[prototype][polluted]=1',
      'keywords[__proto__][polluted]=1',
      'firstname[__proto__][polluted]=1',
    ])('the query %s pollutes nothing and is not a 5xx', async (qs) => {
      const m = await newMerchant(t);
      for (const path of ['/customer', '/api/v0/customers']) {
        const res = await http(t).get(`${path}?${qs}`).set(m.bearer);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expectError(res, res.status);
      }
    });

    it('a __proto__ header pollutes nothing and is not a 5xx', async () => {
      const m = await newMerchant(t);
      const res = await rawRequest(t, 'GET', '/customer', {
        ...m.bearer,
        __proto__: 'polluted',
        constructor: 'x',
      });
      expect(res.status).toBe(200);
    });
  });

  describe('SQL metacharacters are text', () => {
    const PAYLOADS = [
      "' OR '1'='1",
      '"; DROP TABLE customers; --',
      "\\' OR 1=1 -- \\",
      'back\\slash',
      '\\%',
      '100%',
      'a_b',
      '!!',
      "x'); DELETE FROM audit_entries; --",
    ];
    const TEXT_FIELDS = [
      'firstname',
      'lastname',
      'company',
      'address_1',
      'address_2',
      'address_city',
      'address_state',
      'reference',
    ] as const;

    let m: TestMerchant;
    /** Every customer of the merchant, as created. */
    let customers: Record<string, unknown>[];

    beforeAll(async () => {
      m = await newMerchant(t);
      customers = [];
      // One customer per payload, the payload in every text field; plus plain ones that must not match.
      for (const [i, p] of PAYLOADS.entries()) {
        const body: Record<string, unknown> = { notes: `note ${p}`, address_zip: p.slice(0, 16) };
        for (const f of TEXT_FIELDS) body[f] = `${f} ${p} ${i}`;
        customers.push(await createStaxCustomer(t, m, body));
      }
      customers.push(
        await createStaxCustomer(t, m, {
          firstname: "O'Brien",
          email: `o'brien.${randomUUID()}@example.com`,
        }),
      );
      customers.push(await createStaxCustomer(t, m, { firstname: 'Plain', company: 'Plain 1 Co' }));
      customers.push(
        await createStaxCustomer(t, m, { firstname: 'Backslash\\', lastname: '\\\\server\\share' }),
      );
    });

    // Reference models of the search semantics (README, "Listing and searching customers").
    const ids = (match: (c: Record<string, unknown>) => boolean) =>
      customers
        .filter(match)
        .map((c) => c.id as string)
        .sort();
    const text = (c: Record<string, unknown>, f: string) => (typeof c[f] === 'string' ? c[f] : null);
    const digits = (v: string) => v.replace(/\D/g, '');
    const phoneStarts = (c: Record<string, unknown>, given: string) =>
      digits(given) !== '' &&
      digits(text(c, 'phone') ?? '').startsWith(digits(given)) &&
      text(c, 'phone') !== null;
    /** Case-insensitive "starts with" on any of `fields` (phone by digits). */
    const startsWith = (fields: readonly string[], given: string) =>
      ids((c) =>
        fields.some((f) =>
          f === 'phone' ? phoneStarts(c, given) : !!text(c, f)?.toLowerCase().startsWith(given.toLowerCase()),
        ),
      );
    const SEPARATORS = /[.@\-_+\t\n\r]/g;
    /** A keyword at the start of a word of any of `fields`, or of the phone's digits. */
    const wordStart = (fields: readonly string[], given: string) => {
      const k = given
        .replace(SEPARATORS, ' ')
        .replace(/^ +| +$/g, '')
        .toLowerCase();
      return ids(
        (c) =>
          k === '' ||
          fields.some(
            (f) =>
              f !== 'phone' &&
              !!` ${text(c, f)?.replace(SEPARATORS, ' ') ?? ''}`.toLowerCase().includes(` ${k}`) &&
              text(c, f) !== null,
          ) ||
          (/^[\d\s().+-]+$/.test(given) && phoneStarts(c, given)),
      );
    };
    /** v0 name: the start of the first name, the last name or "first last". */
    const nameStarts = (given: string) =>
      ids((c) => {
        const [first, last] = [text(c, 'firstname'), text(c, 'lastname')];
        const full = first !== null && last !== null ? `${first} ${last}` : null;
        return [first, last, full].some((v) => !!v?.toLowerCase().startsWith(given.toLowerCase()));
      });

    const staxIds = async (query: Record<string, string | string[]>) => {
      const res = await http(t)
        .get('/customer')
        .set(m.bearer)
        .query({ per_page: 200, ...query });
      expect(res.status).toBe(200);
      return (res.body.data as { id: string }[]).map((c) => c.id).sort();
    };

    it('a PUT stores every payload literally: a write sends several statements in one packet, and none escapes its parameter', async () => {
      const own = await newMerchant(t);
      const c = await createStaxCustomer(t, own, { firstname: 'Target' });
      for (const p of PAYLOADS) {
        const body: Record<string, unknown> = { notes: p };
        for (const f of TEXT_FIELDS) body[f] = `${p} ${f}`;
        const res = await http(t).put(`/customer/${c.id}`).set(own.bearer).send(body);
        expect(res.status).toBe(200);
        const got = await http(t).get(`/customer/${c.id}`).set(own.bearer).expect(200);
        expect(got.body.notes).toBe(p);
        for (const f of TEXT_FIELDS) expect(got.body[f]).toBe(`${p} ${f}`);
      }
      // The tables are all still there, with the customer and one audit entry per change.
      const audit = await http(t).get(`/customer/${c.id}/audit-log`).set(own.bearer).expect(200);
      expect(audit.body.total).toBe(1 + PAYLOADS.length);
      const all = await http(t).get('/customer').set(own.bearer).query({ per_page: 200 }).expect(200);
      expect(all.body.total).toBe(1);
    });

    it('every Stax filter matches only rows starting with the payload literally', async () => {
      const fields = [...TEXT_FIELDS, 'email', 'phone', 'address_zip'];
      for (const p of [...PAYLOADS, "O'Brien", '\\\\', '\\']) {
        for (const f of fields) {
          expect({ f, p, ids: await staxIds({ [f]: p }) }).toEqual({ f, p, ids: startsWith([f], p) });
        }
        // The stored values start with the field's name and the payload: those must match exactly.
        if (!PAYLOADS.includes(p)) continue;
        for (const f of TEXT_FIELDS) {
          const want = startsWith([f], `${f} ${p}`);
          expect(want.length).toBeGreaterThan(0);
          expect({ f, p, ids: await staxIds({ [f]: `${f} ${p}` }) }).toEqual({ f, p, ids: want });
        }
      }
    });

    it('keywords[] (one or several) match only rows with each payload at a word start, literally', async () => {
      const keywordFields = [
        'id',
        'firstname',
        'lastname',
        'email',
        'company',
        'notes',
        'reference',
        'phone',
      ];
      for (const p of [...PAYLOADS, "O'Brien", '\\']) {
        const want = wordStart(keywordFields, p);
        expect({ p, ids: await staxIds({ 'keywords[]': p }) }).toEqual({ p, ids: want });
        // Two keywords: both must match.
        const both = want.filter((id) => wordStart(keywordFields, 'note').includes(id));
        expect({ p, ids: await staxIds({ 'keywords[]': [p, 'note'] }) }).toEqual({ p, ids: both });
      }
    });

    it('v0 name (starts with) and email (the whole address) match the payload literally', async () => {
      for (const p of [...PAYLOADS, "O'Brien", "o'brien", '\\', 'firstname a_b']) {
        const byName = await http(t)
          .get('/api/v0/customers')
          .set(m.keyPair)
          .query({ name: p, take: 100 })
          .expect(200);
        expect({ p, ids: byName.body.data.map((c: { id: string }) => c.id).sort() }).toEqual({
          p,
          ids: nameStarts(p),
        });
      }
      for (const c of customers) {
        const email = text(c, 'email');
        if (email === null) continue;
        const byEmail = await http(t)
          .get('/api/v0/customers')
          .set(m.keyPair)
          .query({ email: email.toUpperCase(), take: 100 })
          .expect(200);
        expect(byEmail.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
      }
    });

    it('the payloads round-trip unchanged, and the tables are all still there', async () => {
      for (const c of customers) {
        const got = await http(t)
          .get(`/customer/${c.id as string}`)
          .set(m.bearer)
          .expect(200);
        expect(got.body).toEqual(c);
      }
      const ds = t.app.get(DataSource);
      expect(await ds.getRepository(Customer).count({ where: { merchant_id: m.merchantId } })).toBe(
        customers.length,
      );
      const audit = await http(t)
        .get(`/customer/${customers[0].id as string}/audit-log`)
        .set(m.bearer)
        .expect(200);
      expect(audit.body.total).toBe(1);
    });
  });

  describe('Unicode', () => {
    const NAME = '👩🏽‍💻 Zoë Ñandú 山田';

    it('names with emoji, accents and CJK round-trip exactly on both surfaces and in the table', async () => {
      const m = await newMerchant(t);
      const stax = await createStaxCustomer(t, m, {
        firstname: NAME,
        lastname: 'Ægir Øster-Åsen',
        company: '株式会社 🍣',
        notes: `${NAME}\n\t“quotes” — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢`,
        address_city: 'Zürich',
      });
      expect(stax.firstname).toBe(NAME);
      const got = await http(t).get(`/customer/${stax.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(stax);
      expect(await storedCustomer(t, stax.id)).toMatchObject({
        firstname: NAME,
        lastname: 'Ægir Øster-Åsen',
        company: '株式会社 🍣',
        notes: `${NAME}\n\t“quotes” — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢`,
        address_city: 'Zürich',
      });

      const v0 = await http(t)
        .post('/api/v0/customers')
        .set(m.keyPair)
        .send({ first_name: NAME, last_name: '山田 太郎', phone_number: '+81 90 1234 5678' })
        .expect(201);
      expect(v0.body.first_name).toBe(NAME);
      const v0Get = await http(t).get(`/api/v0/customers/${v0.body.id}`).set(m.keyPair).expect(200);
      expect(v0Get.body).toEqual(v0.body);
      const asStax = await http(t).get(`/customer/${v0.body.id}`).set(m.bearer).expect(200);
      expect(asStax.body).toMatchObject({ firstname: NAME, lastname: '山田 太郎' });

      // The audit log holds the same text.
      const log = await http(t).get(`/customer/${stax.id}/audit-log`).set(m.bearer).expect(200);
      expect(log.body.data[0].changes.firstname).toEqual({ from: null, to: NAME });
    });

    it('is findable by filter, keyword and v0 name, and only the right row matches', async () => {
      const m = await newMerchant(t);
      const zoe = await createStaxCustomer(t, m, {
        firstname: NAME,
        company: '株式会社 🍣',
        lastname: 'Straße',
      });
      // Other emoji, other CJK, unaccented look-alikes: none of these may match the searches below
      // (MariaDB's default collation would fold accents and ß; a search must mean the same on both databases).
      const lookAlike = await createStaxCustomer(t, m, {
        firstname: '🎉 Zoe Nandu',
        company: '山本 🍕',
        lastname: 'Strasse',
      });
      await createStaxCustomer(t, m, { firstname: '🧑🏿‍🚀 Plain', company: '株式会社 🍔' });

      const staxIds = async (query: Record<string, string>) =>
        (await http(t).get('/customer').set(m.bearer).query(query).expect(200)).body.data.map(
          (c: { id: string }) => c.id,
        );
      // Filters match the start of the value; keywords the start of any word.
      for (const [field, text] of [
        ['firstname', NAME],
        ['firstname', '👩🏽‍💻'],
        ['firstname', '👩🏽‍💻 zoë'],
        ['firstname', '👩🏽‍💻 ZOË ñ'],
        ['company', '株式会社 🍣'],
        ['keywords[]', 'zoë'],
        ['keywords[]', 'ZOË'],
        ['keywords[]', 'ñandú'],
        ['keywords[]', '山田'],
        ['keywords[]', '🍣'],
      ]) {
        expect({ field, text, ids: await staxIds({ [field]: text }) }).toEqual({
          field,
          text,
          ids: [zoe.id],
        });
      }
      expect(await staxIds({ 'keywords[]': '👩🏽‍💻 zoë' })).toEqual([zoe.id]);
      expect(await staxIds({ lastname: 'STRAßE' })).toEqual([zoe.id]);
      expect(await staxIds({ lastname: 'strasse' })).toEqual([lookAlike.id]);
      expect(await staxIds({ 'keywords[]': 'zoe nandu' })).toEqual([lookAlike.id]);
      const v0 = await http(t)
        .get('/api/v0/customers')
        .set(m.keyPair)
        .query({ name: '👩🏽‍💻 ZOË ÑANDÚ' })
        .expect(200);
      expect(v0.body.data.map((c: { id: string }) => c.id)).toEqual([zoe.id]);
    });
  });

  describe('strings at the length limits', () => {
    // [field, limit]: the Stax rules (docs/behaviour.md, "The customer") and the width of the column behind each.
    const LIMITS: [string, number][] = [
      ['firstname', 255],
      ['lastname', 255],
      ['company', 255],
      ['address_1', 255],
      ['address_2', 255],
      ['address_city', 255],
      ['address_state', 64],
      ['address_zip', 16],
      ['reference', 255],
    ];
    // Units a validator and a database might count differently: astral characters (two UTF-16
    // units, one character), variation selectors, combining marks, ZWJ sequences.
    const UNITS = ['😀', 'a\uFE0F', '\u2764\uFE0F', 'e\u0301', '👩🏽‍💻', 'ß'];

    it.each(UNITS)('filled with %j: accepted and stored whole, or 400, never 5xx', async (unit) => {
      const m = await newMerchant(t);
      for (const [field, limit] of LIMITS) {
        // The longest string of this unit the field's rule might accept, and one unit more.
        for (const n of [Math.floor(limit / [...unit].length), limit]) {
          const value = unit.repeat(n);
          const res = await http(t)
            .post('/customer')
            .set(m.bearer)
            .send({ firstname: 'A', [field]: value });
          expect({ field, n, status: res.status }).toEqual({
            field,
            n,
            status: res.status < 500 ? res.status : 'a 4xx',
          });
          if (res.status !== 200) {
            expectError(res, 400);
            continue;
          }
          // Accepted: then stored exactly, not cut short.
          expect({
            field,
            n,
            stored: (await storedCustomer(t, res.body.id))[field as keyof Customer],
          }).toEqual({
            field,
            n,
            stored: value,
          });
        }
      }
    });
  });

  describe('emails whose lower-case form is longer than they are', () => {
    // 'İ'.toLowerCase() is two characters: this valid 158-character email has a 310-character key.
    const label = 'İ'.repeat(60);
    const email = `${'İ'.repeat(32)}@${label}.${label}.com`;

    it('are accepted, or refused with a 400, never a 5xx, on both surfaces', async () => {
      expect(isEmail(email)).toBe(true);
      expect(email.toLowerCase().length).toBeGreaterThan(255);
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const responses = [
        await http(t).post('/customer').set(m.bearer).send({ email }),
        await http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .set('idempotency-key', randomUUID())
          .send({ email }),
        await http(t)
          .post('/api/v0/customers')
          .set(m.keyPair)
          .send({ first_name: 'A', last_name: 'B', phone_number: '+1 555 555 0100', email }),
      ];
      for (const res of responses) {
        expect([200, 201, 400, 409]).toContain(res.status);
        if (res.status >= 400) expectError(res, res.status);
      }
      // A refusal changed nothing.
      if (responses[1].status === 400) expect((await storedCustomer(t, c.id)).version).toBe(1);
    });
  });

  describe('invalid UTF-8 in a JSON body', () => {
    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
      ['a truncated 4-byte sequence', Buffer.from([0xf0, 0x9f, 0x98])],
      ['0xff 0xfe', Buffer.from([0xff, 0xfe])],
      ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ])('%s inside a string: 4xx or stored as valid text, never 5xx', async (_label, bad) => {
      const m = await newMerchant(t);
      const body = Buffer.concat([
        Buffer.from('{"firstname":"A'),
        bad,
        Buffer.from('b","notes":"x'),
        bad,
        Buffer.from('"}'),
      ]);
      const res = await rawRequest(
        t,
        'POST',
        '/customer',
        { ...m.bearer, 'content-type': 'application/json' },
        body,
      );
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) {
        expect(jsonOf(res)).toMatchObject({ statusCode: res.status });
        expect(await customerCount(t, m)).toBe(0);
        return;
      }
      expect(res.status).toBe(200);
      const id = jsonOf(res).id as string;
      const got = await http(t).get(`/customer/${id}`).set(m.bearer).expect(200);
      for (const value of [got.body.firstname, got.body.notes] as string[]) {
        expect(value).not.toMatch(LONE_SURROGATE);
        expect(Buffer.from(value, 'utf8').toString('utf8')).toBe(value);
      }
      expect(got.body.firstname).toMatch(/^A.*b$/u);
    });

    it('invalid UTF-8 in a key or outside strings is 400', async () => {
      const m = await newMerchant(t);
      for (const body of [
        Buffer.concat([Buffer.from('{"first'), Buffer.from([0xff]), Buffer.from('name":"A"}')]),
        Buffer.concat([Buffer.from('{"firstname":"A"'), Buffer.from([0xc3]), Buffer.from('}')]),
      ]) {
        const res = await rawRequest(
          t,
          'POST',
          '/customer',
          { ...m.bearer, 'content-type': 'application/json' },
          body,
        );
        expect(res.status).toBe(400);
        expect(jsonOf(res)).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      }
      expect(await customerCount(t, m)).toBe(0);
    });

    it('lone UTF-16 surrogates escaped in JSON are 400 (they could not be stored as sent)', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      for (const text of [
        '{"firstname":"A\\ud800b"}',
        '{"lastname":"\\udfff"}',
        '{"options":{"k\\udbff":1}}',
      ]) {
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .set('Content-Type', 'application/json')
          .send(text);
        expectError(res, 400, 'Request body must be valid Unicode');
        const patch = await http(t)
          .patch(`/api/v0/customers/${c.id}`)
          .set(m.keyPair)
          .set('Content-Type', 'application/json')
          .send(text.replace('firstname', 'first_name').replace('lastname', 'last_name'));
        expectError(patch, 400, 'Request body must be valid Unicode');
      }
      // A correctly paired escape is an ordinary character.
      const ok = await http(t)
        .post('/customer')
        .set(m.bearer)
        .set('Content-Type', 'application/json')
        .send('{"firstname":"A\\ud83d\\ude00b"}')
        .expect(200);
      expect(ok.body.firstname).toBe('A😀b');
      expect(await customerCount(t, m)).toBe(2);
      expect((await storedCustomer(t, c.id)).version).toBe(1);
    });
  });

  describe('headers', () => {
    it('a header over 16 KiB is 431, and the server keeps serving', async () => {
      const m = await newMerchant(t);
      const big = 'x'.repeat(20 * 1024);
      const answer = await rawSocket(
        t,
        `GET /customer HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${m.secret}\r\nx-junk: ${big}\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      // Many headers adding up to more than the limit: the same.
      const many = Array.from({ length: 400 }, (_, i) => `x-h${i}: ${'y'.repeat(60)}\r\n`).join('');
      expect(await rawSocket(t, `GET /customer HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`)).toMatch(
        /^HTTP\/1\.1 431 /,
      );
      // And through an ordinary client too.
      const viaClient = await rawRequest(t, 'GET', '/customer', { ...m.bearer, 'x-junk': big }).catch(
        (err: NodeJS.ErrnoException) => ({ status: err.code === 'ECONNRESET' ? 431 : 0 }),
      );
      expect(viaClient.status).toBe(431);

      await http(t).get('/customer').set(m.bearer).expect(200);
      await http(t).post('/customer').set(m.bearer).send({ firstname: 'Still here' }).expect(200);
    });

    it('two Authorization headers are refused (401), whatever their order', async () => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      await createStaxCustomer(t, m, { firstname: 'Mine' });
      for (const values of [
        [`Bearer ${m.secret}`, `Bearer ${other.secret}`],
        [`Bearer ${other.secret}`, `Bearer ${m.secret}`],
        [`Bearer ${m.secret}`, 'Bearer nope'],
        ['Bearer nope', `Bearer ${m.secret}`],
        [`Bearer ${m.secret}`, `Bearer ${m.secret}`],
      ]) {
        const res = await rawRequest(t, 'GET', '/customer', { authorization: values });
        expect({ values, status: res.status }).toEqual({ values, status: 401 });
        expect(jsonOf(res)).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
    });

    it('two x-client-key or two x-client-secret headers are refused (401)', async () => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const cases: Record<string, string | string[]>[] = [
        { 'x-client-key': [m.clientKey, other.clientKey], 'x-client-secret': m.secret },
        { 'x-client-key': [other.clientKey, m.clientKey], 'x-client-secret': m.secret },
        { 'x-client-key': [m.clientKey, m.clientKey], 'x-client-secret': m.secret },
        { 'x-client-key': m.clientKey, 'x-client-secret': [m.secret, other.secret] },
        { 'x-client-key': m.clientKey, 'x-client-secret': [m.secret, m.secret] },
      ];
      for (const headers of cases) {
        const res = await rawRequest(
          t,
          'POST',
          '/customer',
          { ...headers, 'content-type': 'application/json' },
          '{"firstname":"Dup"}',
        );
        expect({ headers, status: res.status }).toEqual({ headers, status: 401 });
        expect(jsonOf(res)).toMatchObject({ statusCode: 401, message: 'Invalid API credentials' });
      }
      expect(await customerCount(t, m)).toBe(0);
      expect(await customerCount(t, other)).toBe(0);
    });

    it('two idempotency-key headers never give a 5xx and never replay across keys', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const headers = { ...m.bearer, 'content-type': 'application/json' };
      const first = await rawRequest(
        t,
        'PUT',
        `/customer/${c.id}`,
        { ...headers, 'idempotency-key': ['k1', 'k2'] },
        '{"company":"A"}',
      );
      expect(first.status).toBeLessThan(500);
      // A request with only one of the two keys is not a replay of the first.
      const single = await rawRequest(
        t,
        'PUT',
        `/customer/${c.id}`,
        { ...headers, 'idempotency-key': 'k1' },
        '{"company":"B"}',
      );
      expect(single.status).toBe(200);
      expect(single.headers['idempotent-replayed']).toBeUndefined();
      expect(jsonOf(single).company).toBe('B');
    });

    it('duplicate Content-Type or Content-Length never gives a 5xx', async () => {
      const m = await newMerchant(t);
      const body = '{"firstname":"A"}';
      const answers = [
        await rawSocket(
          t,
          `POST /customer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${m.secret}\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ),
        await rawSocket(
          t,
          `POST /customer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${m.secret}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n${body}`,
        ),
      ];
      for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 [1-4]\d\d /);
      await http(t).get('/customer').set(m.bearer).expect(200);
    });
  });
});
