import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newKey, newMerchant, startApp, TestApp } from './support/app';

describe('operations: health, metrics, rate limits, security headers, CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '5', CORS_ORIGINS: 'https://shop.example' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('/health/live and /health/ready answer without an API key', async () => {
    const live = await http(t).get('/health/live').expect(200);
    expect(live.body.status).toBe('ok');
    const ready = await http(t).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('/metrics serves Prometheus text with requests by route pattern and status', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    const res = await http(t).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/customer\/:id",status="200"\} \d+/);
    expect(res.text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/customer",status="200"\}/,
    );
    expect(res.text).toMatch(/db_pool_connections\{state="total"\} \d+/);
    expect(res.text).toMatch(/idempotency_replays_total \d+/);
    expect(res.text).not.toContain(c.id);
  });

  it('counts idempotent replays', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const count = async () =>
      Number(/idempotency_replays_total (\d+)/.exec((await http(t).get('/metrics')).text)?.[1] ?? NaN);
    const before = await count();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', 'r1')
      .send({ notes: 'x' })
      .expect(200);
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', 'r1')
      .send({ notes: 'x' })
      .expect(200);
    expect(await count()).toBe(before + 1);
  });

  it('limits requests per API key: 429 with Retry-After and rate-limit headers; other keys unaffected', async () => {
    const m = await newMerchant(t);
    const responses = [];
    for (let i = 0; i < 7; i++) responses.push(await http(t).get('/customer').set(m.bearer));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const last = responses[6];
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      requestId: expect.any(String),
    });
    expect(last.body.message).toBe('Too many requests for this API key; retry after Retry-After seconds');
    const other = await newKey(t, m.merchantId);
    const ok = await http(t).get('/customer').set(other.bearer).expect(200);
    expect(ok.headers['x-ratelimit-limit']).toBe('5');
    expect(ok.headers['x-ratelimit-remaining']).toBe('4');
    // Health checks are never limited.
    for (let i = 0; i < 7; i++) await http(t).get('/health/live').expect(200);
  });

  it('one budget per API key across every route, whatever each request answers', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const statuses = [
      (await http(t).get(`/customer/${c.id}`).set(m.bearer)).status,
      (await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ notes: 'a' })).status,
      (await http(t).get('/customer').set(m.bearer)).status,
      (await http(t).get(`/customer/${randomUUID()}`).set(m.bearer)).status,
      (await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer)).status,
      (await http(t).get(`/customer/${c.id}`).set(m.bearer)).status,
    ];
    // createStaxCustomer spent one request of the five.
    expect(statuses).toEqual([200, 200, 200, 404, 429, 429]);
  });

  it('sets security headers (helmet) and no x-powered-by', async () => {
    const res = await http(t).get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers CORS only for configured origins, exposing ETag and x-request-id', async () => {
    const allowed = await http(t)
      .options('/customer')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'PUT')
      .expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    const m = await newMerchant(t);
    const res = await http(t)
      .get('/customer')
      .set(m.bearer)
      .set('Origin', 'https://shop.example')
      .expect(200);
    expect(res.headers['access-control-expose-headers']).toContain('ETag');
    expect(res.headers['access-control-expose-headers']).toContain('x-should-retry');
    const denied = await http(t).get('/health/live').set('Origin', 'https://evil.example').expect(200);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('operations: rate limiting off', () => {
  it('RATE_LIMIT_PER_MINUTE=0 turns it off', async () => {
    const t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const m = await newMerchant(t);
      for (let i = 0; i < 20; i++) await http(t).get('/customer').set(m.bearer).expect(200);
    } finally {
      await t.close();
    }
  });
});
