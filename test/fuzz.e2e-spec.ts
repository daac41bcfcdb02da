import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { AuditEntry } from '../src/audit/audit-entry.entity';
import { Customer } from '../src/customers/customer.entity';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

/**
 * Property-based fuzzing of every route of both surfaces with fast-check: generated bodies (known
 * fields with wild values, unknown keys, nesting, wrong types, malformed JSON), query strings,
 * headers and path ids. The properties, for every request:
 *   - never a 5xx;
 *   - every 4xx carries the error envelope {statusCode, error, message, requestId};
 *   - a 4xx, or any GET, leaves the merchant's customers and audit log exactly as they were;
 *   - nothing ever touches another merchant's data.
 * The seed is fixed (FUZZ_SEED overrides it; FUZZ_RUNS scales the run count); on failure fast-check
 * prints the seed, the path and the shrunk counterexample to replay it.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_241_122);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const RUNS_PER_ROUTE = Math.round(110 * SCALE);
const MIXED_RUNS = Math.round(500 * SCALE);
/** Generous: a loaded CI machine, or MariaDB, runs far slower than a laptop on SQLite. */
const TIMEOUT = 180_000 * SCALE;

// ---- the world one property runs in ------------------------------------------------------------

interface World {
  m: TestMerchant;
  other: TestMerchant;
  /** A live customer of m (replaced when a run deletes it). */
  live: string;
  /** A soft-deleted customer of m (deleted again when a run restores it). */
  deleted: string;
  foreign: string;
  foreignDeleted: string;
}

type IdChoice =
  { kind: 'live' | 'deleted' | 'foreign' | 'foreignDeleted' | 'liveUpper' } | { kind: 'raw'; text: string };

const ID_JUNK = [
  '%00',
  '%2F',
  '..%2F..%2Fetc%2Fpasswd',
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%25',
  '%ED%A0%80',
  '%C0%AF',
  '%F0%9F%98%80',
  'null',
  'undefined',
  '0',
  '-1',
  '1e9',
  '~',
  ';',
  ',',
  "'",
  '%22',
  '*',
  '.',
  '..',
  'a'.repeat(300),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{id}',
  '%7Bid%7D',
  'customer',
  'restore',
  'audit-log',
];

/** Encodes text for a URL; a lone surrogate (which encodeURIComponent refuses) becomes %ED%A0%80. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/\p{Cs}/gu, '')) + '%ED%A0%80';
  }
}

const idArb: fc.Arbitrary<IdChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'live' as const }), weight: 6 },
  { arbitrary: fc.constant({ kind: 'deleted' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'foreign' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'foreignDeleted' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'liveUpper' as const }), weight: 1 },
  { arbitrary: fc.uuid().map((text) => ({ kind: 'raw' as const, text })), weight: 2 },
  {
    arbitrary: fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .map((s) => ({ kind: 'raw' as const, text: encode(s) })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...ID_JUNK).map((text) => ({ kind: 'raw' as const, text })), weight: 2 },
);

function resolveId(w: World, id: IdChoice): string {
  switch (id.kind) {
    case 'live':
      return w.live;
    case 'liveUpper':
      return w.live.toUpperCase();
    case 'deleted':
      return w.deleted;
    case 'foreign':
      return w.foreign;
    case 'foreignDeleted':
      return w.foreignDeleted;
    case 'raw':
      return id.text;
  }
}

// ---- values and bodies -----------------------------------------------------------------------

const STAX_FIELDS = [
  'firstname',
  'lastname',
  'company',
  'email',
  'cc_emails',
  'cc_sms',
  'phone',
  'address_1',
  'address_2',
  'address_city',
  'address_state',
  'address_zip',
  'address_country',
  'notes',
  'reference',
  'options',
  'allow_invoice_credit_card_payments',
  'id',
  'created_at',
  'updated_at',
  'deleted_at',
  'gravatar',
  'has_address',
  'missing_address_components',
];
const V0_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone_number',
  'customer_type',
  'status',
  'id',
  'last_spent',
  'last_purchase_date',
  'appId',
  'createdAt',
  'updatedAt',
];
const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  'merchant_id',
  'version',
];

/** Values that pass validation for some field, so runs also reach the success paths. */
const plausible = fc.oneof(
  fc.constantFrom(
    'John',
    'Zoë 👩🏽‍💻',
    '',
    ' ',
    'USA',
    'can',
    'US',
    'XYZ',
    '+1 555 555 0100',
    '(555) 555-0101',
    '15555550102',
    '12345',
    'FL',
    'Enterprise',
    'Individual',
    'Small Business',
    'ACTIVE',
    'DEACTIVATED',
    'BLACKLISTED',
    'active',
    '2024-03-22 14:15:30',
  ),
  fc.emailAddress(),
  fc.uuid().map((u) => `${u.slice(0, 8)}@example.com`),
  fc.array(fc.emailAddress(), { maxLength: 3 }),
  fc.array(fc.constantFrom('15555550100', '123', '155555501001234567'), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const wild = fc.oneof(
  { arbitrary: plausible, weight: 6 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 10 }), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 3, maxKeys: 3 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => 'x'.repeat(n)), weight: 1 },
  // Just under, at and over the length limits (16, 20, 64, 100, 255), in units that validators and
  // databases may count differently: variation selectors, astral characters, combining marks, İ → i̇.
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom('x', '\u2764\uFE0F', 'a\uFE0F', '😀', 'İ', 'e\u0301'),
        fc.constantFrom(16, 20, 64, 100, 255),
        fc.integer({ min: -2, max: 2 }),
      )
      .map(([unit, limit, delta]) => unit.repeat(limit + delta)),
    weight: 3,
  },
);

const bodyObject = (fields: string[]) =>
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...fields), wild, { maxKeys: 5 }),
      fc.oneof(
        { arbitrary: fc.constant({}), weight: 6 },
        { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), wild, { maxKeys: 2 }), weight: 1 },
        { arbitrary: fc.dictionary(fc.constantFrom(...ODD_KEYS), wild, { maxKeys: 1 }), weight: 1 },
      ),
    )
    .map(([known, extra]) => ({ ...known, ...extra }));

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

const MALFORMED = [
  '{',
  '{"firstname":',
  '{"a":1,}',
  "{'firstname':'a'}",
  'null',
  '[]',
  '[{}]',
  '"x"',
  '42',
  'true',
  '',
  ' ',
  '{}{}',
];

/** A value absent most of the time (weight 1 against `absent`). */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent = 3) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: absent }, { arbitrary: arb, weight: 1 });

const uniqueEmail = fc.uuid().map((u) => `fuzz.${u}@example.com`);
const shortText = fc.oneof(
  fc.constantFrom('A', 'Zoë', '山田', "O'Brien", '100%_!'),
  fc.string({ maxLength: 12 }),
);

/** Bodies each surface would accept, so runs reach the success paths. */
const validStax = fc.record(
  {
    firstname: shortText,
    lastname: shortText,
    company: shortText,
    email: uniqueEmail,
    phone: fc.constantFrom('+1 555 555 0100', '(555) 555-0101', '15555550102', ''),
    address_1: shortText,
    address_city: shortText,
    address_state: fc.constantFrom('FL', 'CA', ''),
    address_zip: fc.constantFrom('12345', '32801-1234'),
    address_country: fc.constantFrom('USA', 'can', 'GBR', null),
    notes: fc.string({ maxLength: 50 }),
    reference: shortText,
    options: fc.oneof(
      fc.constant(null),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    ),
    cc_emails: fc.array(fc.emailAddress(), { maxLength: 2 }),
    cc_sms: fc.array(fc.constant('15555550100'), { maxLength: 2 }),
    allow_invoice_credit_card_payments: fc.boolean(),
  },
  { requiredKeys: ['firstname'] },
);
const validV0 = fc.record(
  {
    first_name: fc.constantFrom('John', 'Zoë', '山田'),
    last_name: fc.constantFrom('Smith', 'Ñandú'),
    phone_number: fc.constantFrom('+1 555 555 0100', '+1-987-654-3210'),
    email: fc.oneof(uniqueEmail, fc.constant(null)),
    customer_type: fc.constantFrom('Individual', 'Enterprise', 'Non-Profit'),
    status: fc.constantFrom('ACTIVE', 'DEACTIVATED', 'BLACKLISTED'),
  },
  { requiredKeys: ['first_name', 'last_name', 'phone_number'] },
);

const json = (value: unknown): Body => ({ kind: 'json', value });

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  // Valid for one surface or the other (and so, often, invalid for the route it is sent to).
  { arbitrary: validStax.map(json), weight: 4 },
  { arbitrary: validV0.map(json), weight: 4 },
  // Valid but for one or two wild fields or one unknown key.
  {
    arbitrary: fc
      .tuple(
        fc.oneof(validStax, validV0),
        fc.dictionary(fc.constantFrom(...STAX_FIELDS, ...V0_FIELDS), wild, { maxKeys: 2 }),
      )
      .map(([valid, wildFields]) => json({ ...valid, ...wildFields })),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(
        fc.oneof(validStax, validV0),
        fc.constantFrom(...ODD_KEYS, 'foo', 'first name', 'FIRSTNAME'),
        wild,
      )
      .map(([valid, k, v]) => json(Object.fromEntries([...Object.entries(valid), [k, v]]))),
    weight: 1,
  },
  { arbitrary: bodyObject(STAX_FIELDS).map(json), weight: 2 },
  { arbitrary: bodyObject(V0_FIELDS).map(json), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json), weight: 1 },
  { arbitrary: fc.constantFrom(...MALFORMED).map((text) => ({ kind: 'raw' as const, text })), weight: 1 },
  { arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ kind: 'raw' as const, text })), weight: 1 },
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
);

// ---- query strings and headers ---------------------------------------------------------------

const QUERY_KEYS = [
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
  'keywords[]',
  'keywords',
  'sort',
  'order',
  'page',
  'per_page',
  'trashed',
  'skip',
  'take',
  'status',
  'name',
];
const QUERY_VALUES = [
  '1',
  '2',
  '0',
  '-1',
  '1.5',
  '200',
  '201',
  '100',
  '10000',
  '10001',
  '99999999999999999999',
  '1e3',
  '0x10',
  'NaN',
  '',
  'asc',
  'DESC',
  'sideways',
  'with',
  'only',
  'without',
  'created_at',
  'firstname',
  'id',
  'ACTIVE',
  'BLACKLISTED',
  'john',
  '%',
  '_',
  '!',
  "' OR '1'='1",
];

const queryPair = fc.tuple(
  fc.oneof(
    { arbitrary: fc.constantFrom(...QUERY_KEYS).map(encode), weight: 6 },
    { arbitrary: fc.constantFrom(...ODD_KEYS, 'keywords[0]', 'a[b][c]', 'page[]').map(encode), weight: 1 },
    { arbitrary: fc.string({ maxLength: 8 }).map(encode), weight: 1 },
  ),
  fc.oneof(
    { arbitrary: fc.constantFrom(...QUERY_VALUES).map(encode), weight: 5 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encode), weight: 2 },
    {
      arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '+', '%2B', '&', '=', '%00', '%ED%A0%80'),
      weight: 1,
    },
  ),
);
const queryArb = fc.oneof(
  { arbitrary: fc.constant([] as [string, string][]), weight: 6 },
  { arbitrary: fc.array(queryPair, { maxLength: 6 }), weight: 4 },
  // One parameter repeated.
  {
    arbitrary: fc.tuple(queryPair, fc.integer({ min: 2, max: 12 })).map(([p, n]) => Array(n).fill(p)),
    weight: 1,
  },
);

/** Printable ASCII only: Node's client refuses anything else in a header. */
const printable = (maxLength: number) =>
  fc.array(fc.integer({ min: 0x21, max: 0x7e }), { maxLength }).map((codes) => String.fromCharCode(...codes));

/** A small pool, so keys get reused: replays, 422 mismatches, 409s. */
const IDEMPOTENCY_POOL = ['fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'];

const headersArb = fc.record({
  auth: fc.oneof(
    { arbitrary: fc.constantFrom('bearer' as const, 'pair' as const), weight: 12 },
    { arbitrary: fc.constantFrom('none' as const, 'wrong' as const, 'otherMerchant' as const), weight: 1 },
  ),
  'idempotency-key': sometimes(
    fc.oneof(
      { arbitrary: fc.constantFrom(...IDEMPOTENCY_POOL), weight: 3 },
      { arbitrary: fc.uuid(), weight: 3 },
      { arbitrary: printable(300), weight: 1 },
      { arbitrary: fc.constant(' '), weight: 1 },
    ),
    2,
  ),
  'if-match': sometimes(
    fc.oneof(fc.constantFrom('"1"', '"2"', '"3"', '*', 'W/"1"', '"1", "2"', '""', 'W/', ','), printable(30)),
  ),
  'x-request-id': sometimes(printable(140), 2),
  'content-type': sometimes(
    fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=nope',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
      'json',
    ),
    8,
  ),
  extra: sometimes(
    fc.tuple(
      printable(20).map((s) => `x-fuzz-${s.replace(/[^A-Za-z0-9-]/g, '') || 'h'}`),
      printable(40),
    ),
  ),
});

// ---- routes ------------------------------------------------------------------------------------

interface Route {
  method: string;
  path: string;
}
const ROUTES: Route[] = [
  { method: 'POST', path: '/customer' },
  { method: 'GET', path: '/customer' },
  { method: 'PUT', path: '/customer' },
  { method: 'DELETE', path: '/customer' },
  { method: 'GET', path: '/customer/{id}' },
  { method: 'PUT', path: '/customer/{id}' },
  { method: 'DELETE', path: '/customer/{id}' },
  { method: 'PUT', path: '/customer/{id}/restore' },
  { method: 'GET', path: '/customer/{id}/audit-log' },
  { method: 'POST', path: '/api/v0/customers' },
  { method: 'GET', path: '/api/v0/customers' },
  { method: 'GET', path: '/api/v0/customers/{id}' },
  { method: 'PATCH', path: '/api/v0/customers/{id}' },
  { method: 'GET', path: '/api/v0/customers/{id}/audit-log' },
];
/** Methods a route does not have: must be a clean 404, not a crash. */
const WRONG_METHODS: Route[] = [
  { method: 'PATCH', path: '/customer/{id}' },
  { method: 'POST', path: '/customer/{id}' },
  { method: 'DELETE', path: '/api/v0/customers/{id}' },
  { method: 'PUT', path: '/api/v0/customers/{id}' },
  { method: 'POST', path: '/customer/{id}/audit-log' },
];

type GeneratedHeaders = typeof headersArb extends fc.Arbitrary<infer H> ? H : never;

interface FuzzRequest {
  route: Route;
  id: IdChoice;
  query: [string, string][];
  body: Body;
  headers: GeneratedHeaders;
}

/** The string fields of each surface and their length limits (docs/behaviour.md, "The customer"). */
const STAX_LIMITS: Record<string, number> = {
  firstname: 255,
  lastname: 255,
  company: 255,
  email: 255,
  phone: 20,
  address_1: 255,
  address_2: 255,
  address_city: 255,
  address_state: 64,
  address_zip: 16,
  reference: 255,
};
const V0_LIMITS: Record<string, number> = { first_name: 100, last_name: 100, email: 255, phone_number: 20 };

/**
 * One field set to a string just under, at or just over its limit, in units a validator and a
 * database may count differently (variation selectors, astral characters, combining marks, İ → i̇).
 */
const edgeOf = (limits: Record<string, number>) =>
  fc
    .tuple(
      fc.constantFrom(...Object.keys(limits)),
      fc.constantFrom('x', '\u2764\uFE0F', 'a\uFE0F', '😀', 'İ', 'e\u0301', '1'),
      fc.integer({ min: -2, max: 1 }),
    )
    .map(([field, unit, delta]) => ({ [field]: unit.repeat(limits[field] + delta) }));

/** Most bodies are valid for the route they go to, or nearly, so the write paths are reached too. */
function bodyFor(route: Route): fc.Arbitrary<Body> {
  const v0 = route.path.startsWith('/api/v0');
  const valid: fc.Arbitrary<Record<string, unknown>> = v0 ? validV0 : validStax;
  return fc.oneof(
    { arbitrary: valid.map(json), weight: 2 },
    {
      arbitrary: fc
        .tuple(valid, edgeOf(v0 ? V0_LIMITS : STAX_LIMITS))
        .map(([b, edge]) => json({ ...b, ...edge })),
      weight: 2,
    },
    { arbitrary: bodyArb, weight: 3 },
  );
}

const requestArb = (routes: Route[]): fc.Arbitrary<FuzzRequest> =>
  fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      id: idArb,
      query: queryArb,
      body: bodyFor(route),
      headers: headersArb,
    }),
  );

// ---- sending and checking ----------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function send(t: TestApp, w: World, r: FuzzRequest): Promise<Answer> {
  const path =
    r.route.path.replace('{id}', resolveId(w, r.id)) +
    (r.query.length > 0 ? '?' + r.query.map(([k, v]) => `${k}=${v}`).join('&') : '');
  const headers: Record<string, string> = {};
  const h = r.headers;
  if (h.auth === 'bearer') headers.authorization = `Bearer ${w.m.secret}`;
  if (h.auth === 'pair') Object.assign(headers, w.m.keyPair);
  if (h.auth === 'wrong') headers.authorization = `Bearer sk_${randomUUID()}`;
  if (h.auth === 'otherMerchant') headers.authorization = `Bearer ${w.other.secret}`;
  for (const name of ['idempotency-key', 'if-match', 'x-request-id'] as const) {
    if (h[name] !== undefined) headers[name] = h[name];
  }
  if (h.extra) headers[h.extra[0]] = h.extra[1];
  let payload: string | undefined;
  if (r.body.kind !== 'none') {
    payload = r.body.kind === 'json' ? JSON.stringify(r.body.value) : r.body.text;
    headers['content-type'] = h['content-type'] ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: r.route.method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The merchant's customers and audit rows, as stored, as comparable text. */
async function snapshot(t: TestApp, merchantId: string): Promise<string> {
  const ds = t.app.get(DataSource);
  const customers = await ds
    .getRepository(Customer)
    .find({ where: { merchant_id: merchantId }, order: { id: 'ASC' } });
  const audit = await ds
    .getRepository(AuditEntry)
    .find({ where: { merchant_id: merchantId }, order: { seq: 'ASC' } });
  return JSON.stringify({ customers, audit });
}

function expectEnvelope(a: Answer): void {
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    throw new Error(`${a.status} without a JSON body: ${a.text.slice(0, 200)}`);
  }
  expect(body).toEqual({
    statusCode: a.status,
    error: expect.any(String),
    message: expect.anything(),
    requestId: a.headers['x-request-id'],
  });
  const message = (body as { message: unknown }).message;
  const ok =
    typeof message === 'string' || (Array.isArray(message) && message.every((x) => typeof x === 'string'));
  expect({ message, ok }).toEqual({ message, ok: true });
  expect(typeof (body as { requestId: unknown }).requestId).toBe('string');
}

/** Status counts per route, to check the generators reach both success and failure paths. */
type Stats = Map<string, { ok: number; client: number }>;

describe('fuzz: generated requests against every route', () => {
  let t: TestApp;
  const stats: Stats = new Map();

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  async function newWorld(): Promise<World> {
    const m = await newMerchant(t);
    const other = await newMerchant(t);
    const live = await createStaxCustomer(t, m, { firstname: 'Live' });
    const deleted = await createStaxCustomer(t, m, { firstname: 'Deleted' });
    await http(t).delete(`/customer/${deleted.id}`).set(m.bearer).expect(200);
    const foreign = await createStaxCustomer(t, other, { firstname: 'Foreign' });
    const foreignDeleted = await createStaxCustomer(t, other, { firstname: 'ForeignDeleted' });
    await http(t).delete(`/customer/${foreignDeleted.id}`).set(other.bearer).expect(200);
    return {
      m,
      other,
      live: live.id,
      deleted: deleted.id,
      foreign: foreign.id,
      foreignDeleted: foreignDeleted.id,
    };
  }

  /** Puts the live and deleted customers back in their roles if a run changed them. */
  async function repair(w: World): Promise<void> {
    const repo = t.app.get(DataSource).getRepository(Customer);
    const live = await repo.findOneBy({ id: w.live });
    if (live?.deleted_at) w.live = (await createStaxCustomer(t, w.m, { firstname: 'Live again' })).id;
    const deleted = await repo.findOneBy({ id: w.deleted });
    if (deleted && !deleted.deleted_at)
      await http(t).delete(`/customer/${w.deleted}`).set(w.m.bearer).expect(200);
  }

  async function fuzz(routes: Route[], numRuns: number): Promise<void> {
    const w = await newWorld();
    const before = { m: await snapshot(t, w.m.merchantId), other: await snapshot(t, w.other.merchantId) };
    await fc.assert(
      fc.asyncProperty(requestArb(routes), async (r) => {
        const a = await send(t, w, r);
        const key = `${r.route.method} ${r.route.path}`;
        const s = stats.get(key) ?? { ok: 0, client: 0 };
        if (a.status < 300) s.ok++;
        else if (a.status < 500) s.client++;
        stats.set(key, s);

        if (a.status >= 500) throw new Error(`${a.status} ${a.text}`);
        expect(a.headers['x-request-id']).toEqual(expect.any(String));
        if (a.status >= 400) expectEnvelope(a);

        // The merchant the request acted as may change its own data, with a 2xx write only; the
        // other merchant's data never moves.
        const acting = r.headers.auth === 'otherMerchant' ? 'other' : 'm';
        const mayChange = a.status < 300 && r.route.method !== 'GET';
        for (const who of ['m', 'other'] as const) {
          const after = await snapshot(t, who === 'm' ? w.m.merchantId : w.other.merchantId);
          if (after !== before[who] && !(who === acting && mayChange)) {
            expect({ who, data: JSON.parse(after) as unknown }).toEqual({
              who,
              data: JSON.parse(before[who]),
            });
          }
        }
        await repair(w);
        before.m = await snapshot(t, w.m.merchantId);
        before.other = await snapshot(t, w.other.merchantId);
      }),
      { seed: SEED, numRuns },
    );
  }

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s',
    async (_name, route) => {
      await fuzz([route], RUNS_PER_ROUTE);
    },
    TIMEOUT,
  );

  it(
    'methods a route does not have',
    async () => {
      await fuzz(WRONG_METHODS, Math.round(RUNS_PER_ROUTE / 2));
    },
    TIMEOUT,
  );

  it(
    'all routes mixed, on one merchant',
    async () => {
      await fuzz(ROUTES, MIXED_RUNS);
    },
    TIMEOUT,
  );

  it('reached both success and refusal on the routes that have both', () => {
    // Guards the generators: a fuzzer that only ever gets 400s would prove little.
    for (const r of ROUTES) {
      const key = `${r.method} ${r.path}`;
      const s = stats.get(key) ?? { ok: 0, client: 0 };
      const hasNoSuccess = r.path === '/customer' && (r.method === 'PUT' || r.method === 'DELETE');
      expect({ key, ok: s.ok > 0, client: s.client > 0 }).toEqual({ key, ok: !hasNoSuccess, client: true });
    }
  });
});
