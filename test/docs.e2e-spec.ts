/**
 * The docs: Swagger UI and the OpenAPI document are public, and every customer route documents
 * what docs/behaviour.md says it can answer. (The browser test in test/browser drives the UI itself;
 * `npm run openapi:check` keeps the committed openapi.json equal to this document.)
 */
import { http, startApp, TestApp } from './support/app';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { examples?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const CUSTOMER_PATHS = /^\/(customer|api\/v0\/customers)(\/|$)/;

describe('docs: /docs and /docs-json', () => {
  let t: TestApp;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: {
      securitySchemes: Record<string, unknown>;
      schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
  };
  const operations: { method: string; path: string; op: Operation }[] = [];

  beforeAll(async () => {
    t = await startApp();
    const res = await http(t).get('/docs-json').expect(200);
    doc = res.body;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!CUSTOMER_PATHS.test(path)) continue;
      for (const [method, op] of Object.entries(methods)) operations.push({ method, path, op });
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves Swagger UI and the document without an API key', async () => {
    const ui = await http(t).get('/docs').expect(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.text).toContain('swagger-ui');
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('documents every customer route of both surfaces once, with a readable operation id', () => {
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual([
      'DELETE /customer/{id}',
      'GET /api/v0/customers',
      'GET /api/v0/customers/{id}',
      'GET /api/v0/customers/{id}/audit-log',
      'GET /customer',
      'GET /customer/{id}',
      'GET /customer/{id}/audit-log',
      'PATCH /api/v0/customers/{id}',
      'POST /api/v0/customers',
      'POST /api/v0/customers/bulk',
      'POST /customer',
      'POST /customer/bulk',
      'PUT /customer/{id}',
      'PUT /customer/{id}/restore',
    ]);
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations) {
      expect(op.operationId).toMatch(path.startsWith('/customer') ? /^stax[A-Z]\w+$/ : /^v0[A-Z]\w+$/);
      expect(op.summary).toEqual(expect.any(String));
      expect(op.tags).toEqual([path.startsWith('/customer') ? 'Stax-compatible customers' : 'v0 customers']);
    }
  });

  it('offers both credential styles, and every customer route accepts either', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'x-client-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-client-key' }),
      'x-client-secret': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-client-secret' }),
    });
    for (const { op } of operations) {
      expect(op.security).toEqual([{ bearer: [] }, { 'x-client-key': [], 'x-client-secret': [] }]);
    }
  });

  it('documents a response schema for every status docs/behaviour.md lists for each route', () => {
    for (const { method, path, op } of operations) {
      const statuses = Object.keys(op.responses).sort();
      // A batch answers 200 whatever its items did (each item has its own status).
      const success = method === 'post' && path === '/api/v0/customers' ? '201' : '200';
      const expected = new Set([success, '400', '401', '403', '429', '503']);
      if (path.includes('{id}')) expected.add('404');
      if (method !== 'get') ['409', '422'].forEach((s) => expected.add(s));
      if (method !== 'get' && method !== 'post') expected.add('412');
      if (['post', 'put', 'patch'].includes(method) && !path.endsWith('/restore')) {
        ['413', '415'].forEach((s) => expected.add(s));
      }
      expect({ route: `${method} ${path}`, statuses }).toEqual({
        route: `${method} ${path}`,
        statuses: [...expected].sort(),
      });
      for (const status of statuses) {
        const schema = op.responses[status].content?.['application/json']?.schema;
        expect({ route: `${method} ${path}`, status, ref: schema?.$ref }).toEqual({
          route: `${method} ${path}`,
          status,
          ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/),
        });
      }
      if (op.requestBody) {
        expect(Object.keys(op.requestBody.content['application/json'].examples ?? {}).length).toBeGreaterThan(
          0,
        );
      }
    }
  });

  it('marks read-only fields read-only and shows enums and limits', () => {
    const { schemas } = doc.components;
    for (const f of ['id', 'created_at', 'updated_at', 'deleted_at', 'gravatar', 'has_address']) {
      expect(schemas.StaxCustomerView.properties[f].readOnly).toBe(true);
      expect(schemas.StaxCustomerBody.properties[f].readOnly).toBe(true);
    }
    for (const f of ['id', 'last_spent', 'last_purchase_date', 'appId', 'createdAt', 'updatedAt']) {
      expect(schemas.V0CustomerView.properties[f].readOnly).toBe(true);
    }
    expect(schemas.V0UpdateCustomerBody.properties.status.enum).toEqual([
      'ACTIVE',
      'BLACKLISTED',
      'DEACTIVATED',
    ]);
    expect(schemas.V0CreateCustomerBody.properties.first_name).toMatchObject({
      minLength: 1,
      maxLength: 100,
    });
    expect(schemas.StaxCustomerBody.properties.cc_emails).toMatchObject({ maxItems: 20 });
  });

  it('gives request bodies no `default`, so generated clients keep every field optional', () => {
    const bodies = new Set<string>();
    for (const { op } of operations) {
      const ref = (op.requestBody?.content['application/json'] as { schema?: { $ref?: string } } | undefined)
        ?.schema?.$ref;
      if (ref) bodies.add(ref.replace('#/components/schemas/', ''));
    }
    expect([...bodies].sort()).toEqual([
      'StaxBulkBody',
      'StaxCustomerBody',
      'V0BulkBody',
      'V0CreateCustomerBody',
      'V0UpdateCustomerBody',
    ]);
    for (const name of bodies) {
      for (const [field, schema] of Object.entries(doc.components.schemas[name].properties)) {
        expect({ schema: name, field, default: schema.default }).toEqual({
          schema: name,
          field,
          default: undefined,
        });
      }
    }
    expect(
      doc.components.schemas.StaxCustomerBody.properties.allow_invoice_credit_card_payments.description,
    ).toMatch(/true when left out on create/);
  });

  it('lists the lower-case values the server accepts for order', () => {
    const order = operations
      .find((o) => o.op.operationId === 'staxListCustomers')
      ?.op.parameters?.find((p) => p.name === 'order') as { schema?: { enum?: string[] } } | undefined;
    expect(order?.schema?.enum).toEqual(['ASC', 'DESC', 'asc', 'desc']);
  });

  it('names a server and marks the public routes as needing no credentials', () => {
    const full = doc as unknown as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(full.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(full.paths['/health/live'].get.security).toEqual([]);
    expect(full.paths['/health/ready'].get.security).toEqual([]);
  });
});
