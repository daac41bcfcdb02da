import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort, ServiceProcess, startServiceProcess } from './support/service-process';
import { http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { hasRedis, PrivateRedis } from './support/redis-server';

const describeWithRedis = hasRedis() ? describe : describe.skip;
const LIMIT = 30;

/** Polls `check` every 50 ms until it holds; fails after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const redisState = async (t: TestApp) =>
  ((await http(t).get('/health/ready')).body as { details?: { redis?: { status: string } } }).details?.redis
    ?.status;

const failOpenCount = async (t: TestApp) =>
  Number(/rate_limit_fail_open_total (\d+)/.exec((await http(t).get('/metrics')).text)?.[1] ?? NaN);

describeWithRedis('rate limits with Redis killed and restarted under load', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    t = await startApp({ REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    await until('Redis to connect', async () => (await redisState(t)) === 'up');
  });
  afterAll(async () => {
    await t?.close();
    await redis?.destroy();
  });

  it('fails open while Redis is away (no 5xx, readiness degraded not failed), then limits again', async () => {
    // Load from several keys for the whole test: 200 or 429, never a 5xx.
    const loadKeys: TestMerchant[] = [];
    for (let i = 0; i < 4; i++) loadKeys.push(await newMerchant(t));
    const statuses: number[] = [];
    let loading = true;
    const load = Promise.all(
      loadKeys.map(async (m) => {
        while (loading) statuses.push((await http(t).get('/customer').set(m.bearer)).status);
      }),
    );

    try {
      // Redis up: a fresh key is limited.
      const before = await newMerchant(t);
      const up = [];
      for (let i = 0; i <= LIMIT; i++) up.push(await http(t).get('/customer').set(before.bearer));
      expect(up[0].headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(up[LIMIT].status).toBe(429);

      await redis.kill();
      const loadAtKill = statuses.length;
      await until('readiness to report Redis degraded', async () => (await redisState(t)) === 'degraded');
      const ready = await http(t).get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, redis: { status: 'degraded' } },
      });
      expect(ready.body.details.redis.message).toMatch(/rate limits are not enforced/);

      // Redis away: past the limit and still 200, without rate-limit headers; every one counted.
      const failOpenBefore = await failOpenCount(t);
      const during = await newMerchant(t);
      for (let i = 0; i < LIMIT + 5; i++) {
        const res = await http(t).get('/customer').set(during.bearer);
        expect(res.status).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
      expect(await failOpenCount(t)).toBeGreaterThanOrEqual(failOpenBefore + LIMIT + 5);
      expect(statuses.length).toBeGreaterThan(loadAtKill);

      // Redis back (empty, as after a crash): limits resume without a restart of the service.
      await redis.start();
      const after = await newMerchant(t);
      await until(
        'rate limits to apply again',
        async () =>
          (await http(t).get('/customer').set(after.keyPair)).headers['x-ratelimit-limit'] !== undefined,
      );
      const resumed = [];
      for (let i = 0; i < LIMIT; i++) resumed.push((await http(t).get('/customer').set(after.bearer)).status);
      expect(resumed).toContain(429);
      expect(await redisState(t)).toBe('up');
    } finally {
      loading = false;
      await load;
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
  }, 60_000);
});

const mysqlUrl = process.env.E2E_DATABASE_URL?.startsWith('mysql') ? process.env.E2E_DATABASE_URL : undefined;

describe('the service as a process with REDIS_URL pointing at nothing', () => {
  let svc: ServiceProcess | undefined;
  let sqliteFile: string | undefined;

  afterAll(async () => {
    await svc?.stop('SIGKILL');
    if (sqliteFile)
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  it('answers every request, stays ready, and logs one warning instead of unhandled error events', async () => {
    let databaseUrl = mysqlUrl;
    if (!databaseUrl) {
      sqliteFile = join(tmpdir(), `mc-redis-down-${randomUUID()}.sqlite`);
      databaseUrl = `sqlite:${sqliteFile}`;
    }
    const deadPort = await freePort();
    svc = await startServiceProcess({
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
      RATE_LIMIT_PER_MINUTE: '5',
    });
    const { DataSource } = await import('typeorm');
    const { dataSourceOptions } = await import('../src/database/data-source-options');
    const { AuthService } = await import('../src/auth/auth.service');
    const ds = new DataSource(dataSourceOptions(databaseUrl));
    await ds.initialize();
    const key = await AuthService.over(ds)
      .createMerchant('Redis outage')
      .finally(() => ds.destroy());

    for (let i = 0; i < 12; i++) {
      await request(svc.url).get('/customer').set('Authorization', `Bearer ${key.client_secret}`).expect(200);
    }
    const ready = await request(svc.url).get('/health/ready').expect(200);
    expect(ready.body.details.redis.status).toBe('degraded');

    const out = svc.output();
    expect(out).not.toMatch(/Unhandled error event/);
    const warnings = out.split('\n').filter((l) => l.includes('Redis is unreachable'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ level: 40, context: 'RateLimit' });
  }, 60_000);
});
