/**
 * Webhook delivery across real service processes: two instances on one MariaDB database share
 * the work and deliver each event once, never attempting one delivery twice at the same time
 * (MariaDB pass only); and an instance killed with SIGKILL in the middle of a delivery leaves it
 * to be delivered again, with the same webhook-id, once its claim's lease has passed (both
 * databases).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuthService } from '../src/auth/auth.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ServiceProcess, startServiceProcess } from './support/service-process';
import { WEBHOOK_SCOPES } from './support/webhooks';

const mysqlUrl = process.env.E2E_DATABASE_URL?.startsWith('mysql') ? process.env.E2E_DATABASE_URL : undefined;

const WEBHOOK_ENV = {
  WEBHOOK_SECRET_KEY: 'cd'.repeat(32),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_RETRY_BASE_MS: '50',
  RATE_LIMIT_PER_MINUTE: '0',
};

/** A receiver that records each webhook-id and notices two requests of one id at the same time. */
async function countingReceiver(holdMs: number) {
  const ids: string[] = [];
  const inFlight = new Set<string>();
  let overlaps = 0;
  const server: Server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    ids.push(id);
    if (inFlight.has(id)) overlaps++;
    inFlight.add(id);
    req.resume();
    setTimeout(() => {
      inFlight.delete(id);
      res.end('ok');
    }, holdMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ids,
    overlaps: () => overlaps,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(ok: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

(mysqlUrl ? describe : describe.skip)('webhooks on two instances', () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  let ds: DataSource;

  beforeAll(async () => {
    const env = { ...WEBHOOK_ENV, DATABASE_URL: mysqlUrl! };
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    ds = new DataSource(dataSourceOptions(mysqlUrl!));
    await ds.initialize();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await ds?.destroy();
  });

  it('deliver each event once, both taking part, never one delivery twice at the same time', async () => {
    const rx = await countingReceiver(30);
    try {
      const k = await AuthService.over(ds).createMerchant('Two instances', WEBHOOK_SCOPES);
      const h = { 'x-client-key': k.client_key, 'x-client-secret': k.client_secret };
      await request(a.url)
        .post('/api/v0/webhooks')
        .set(h)
        .send({ url: `${rx.url}/hook` })
        .expect(201);
      const N = 60;
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          request(i % 2 ? a.url : b.url)
            .post('/customer')
            .set({ Authorization: `Bearer ${k.client_secret}` })
            .send({ firstname: `Twin ${i}` })
            .expect(200),
        ),
      );
      await until(() => rx.ids.length >= N, 30_000, `${N} deliveries`);
      // Let any duplicate arrive before counting.
      await until(
        async () => {
          const [row] = await ds.query(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE merchant_id = ? AND status = 'delivered'",
            [k.merchant_id],
          );
          return Number(row.n) === N;
        },
        10_000,
        'all deliveries marked delivered',
      );
      expect(rx.ids).toHaveLength(N);
      expect(new Set(rx.ids).size).toBe(N);
      expect(rx.overlaps()).toBe(0);
      const attempts = (out: string) =>
        (out.match(/webhook [0-9a-f-]{36} customer\.created to/g) ?? []).length;
      // One log line per attempt: N in all (a line may reach the pipe a moment after its update).
      await until(() => attempts(a.output()) + attempts(b.output()) >= N, 5_000, 'one log line per attempt');
      expect(attempts(a.output()) + attempts(b.output())).toBe(N);
      expect(attempts(a.output())).toBeGreaterThan(0);
      expect(attempts(b.output())).toBeGreaterThan(0);
    } finally {
      await rx.close();
    }
  }, 60_000);
});

describe('webhooks when the instance dies mid-delivery', () => {
  let databaseUrl: string;
  let sqliteFile: string | undefined;
  let ds: DataSource | undefined;
  const procs: ServiceProcess[] = [];

  beforeAll(() => {
    databaseUrl = process.env.E2E_DATABASE_URL ?? '';
    if (!databaseUrl) {
      sqliteFile = join(tmpdir(), `mc-webhook-crash-${randomUUID()}.sqlite`);
      databaseUrl = `sqlite:${sqliteFile}`;
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    if (ds?.isInitialized) await ds.destroy();
    if (sqliteFile)
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  it('SIGKILL during an attempt: the same webhook-id arrives again after the lease', async () => {
    // One attempt may take 1 s to connect and 1 s to answer; a claim lasts three times that.
    const env = { ...WEBHOOK_ENV, DATABASE_URL: databaseUrl, WEBHOOK_TIMEOUT_MS: '1000' };
    const arrivals: { id: string; at: number }[] = [];
    const held: import('node:http').ServerResponse[] = [];
    const server = createServer((req, res) => {
      arrivals.push({ id: String(req.headers['webhook-id']), at: Date.now() });
      req.resume();
      // The first arrival is never answered: the instance dies waiting for it.
      if (arrivals.length === 1) held.push(res);
      else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = await startServiceProcess(env);
      procs.push(first);
      ds = new DataSource(dataSourceOptions(databaseUrl));
      await ds.initialize();
      const k = await AuthService.over(ds).createMerchant('Crash', WEBHOOK_SCOPES);
      const h = { 'x-client-key': k.client_key, 'x-client-secret': k.client_secret };
      await request(first.url)
        .post('/api/v0/webhooks')
        .set(h)
        .send({ url: `${url}/hook` })
        .expect(201);
      await request(first.url)
        .post('/customer')
        .set({ Authorization: `Bearer ${k.client_secret}` })
        .send({ firstname: 'Doomed delivery' })
        .expect(200);
      await until(() => arrivals.length === 1, 10_000, 'the first attempt');
      const killedAt = Date.now();
      expect(await first.stop('SIGKILL')).toBeNull();

      const second = await startServiceProcess(env);
      procs.push(second);
      await until(() => arrivals.length >= 2, 20_000, 'the attempt after the crash');
      expect(arrivals[1].id).toBe(arrivals[0].id);
      // Not before the dead instance's claim (3 × WEBHOOK_TIMEOUT_MS from its start) ran out.
      expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(2500);
      expect(arrivals[1].at).toBeGreaterThan(killedAt);
      await until(
        async () => {
          const rows: { status: string; attempt_count: number }[] = await ds!.query(
            'SELECT status, attempt_count FROM webhook_deliveries WHERE merchant_id = ?',
            [k.merchant_id],
          );
          return rows.length === 1 && rows[0].status === 'delivered';
        },
        10_000,
        'the delivery marked delivered',
      );
      // One log line per attempt, and never a secret: the one attempt the second instance made.
      const attemptLine =
        /webhook [0-9a-f-]{36} customer\.created to [0-9a-f-]{36} \(http:\/\/127\.0\.0\.1:\d+\) attempt 1: 200 ok/;
      // (The line may reach the pipe a moment after the update it reports.)
      await until(() => attemptLine.test(second.output()), 5_000, "the attempt's log line");
      expect(first.output() + second.output()).not.toContain('whsec_');
      expect(first.output() + second.output()).not.toContain('do-not-log');
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);
});
