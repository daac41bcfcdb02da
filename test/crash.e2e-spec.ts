import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEntry } from '../src/audit/audit-entry.entity';
import { AuthService } from '../src/auth/auth.service';
import { Customer } from '../src/customers/customer.entity';
import { dataSourceOptions } from '../src/database/data-source-options';
import { IdempotencyKey } from '../src/idempotency/idempotency-key.entity';
import { ServiceProcess, startServiceProcess } from './support/service-process';

const LEASE_MS = 2000;

/**
 * The service process is killed with SIGKILL in the middle of a load of writes. Afterwards no
 * change exists without its audit entry (or the reverse), and no idempotency key stays stuck
 * "in flight" for longer than its lease (IDEMPOTENCY_LEASE_MS).
 */
describe('service crash under load', () => {
  let databaseUrl: string;
  let sqliteFile: string | undefined;
  let ds: DataSource;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    databaseUrl = process.env.E2E_DATABASE_URL ?? '';
    if (!databaseUrl) {
      sqliteFile = join(tmpdir(), `mc-crash-${randomUUID()}.sqlite`);
      databaseUrl = `sqlite:${sqliteFile}`;
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    if (ds?.isInitialized) await ds.destroy();
    if (sqliteFile)
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  it('SIGKILL leaves no half-written change and frees in-flight keys after the lease', async () => {
    const env = {
      DATABASE_URL: databaseUrl,
      RATE_LIMIT_PER_MINUTE: '0',
      IDEMPOTENCY_LEASE_MS: String(LEASE_MS),
    };
    const first = await startServiceProcess(env);
    procs.push(first);
    ds = new DataSource(dataSourceOptions(databaseUrl));
    await ds.initialize();
    const k = await AuthService.over(ds).createMerchant('Crash');
    const auth = { Authorization: `Bearer ${k.client_secret}` };
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(
        (
          await request(first.url)
            .post('/customer')
            .set(auth)
            .send({ firstname: `C${i}` })
            .expect(200)
        ).body.id,
      );
    }

    // Writers with an idempotency key per request; remember every request we sent.
    const sent: { key: string; id: string; notes: string }[] = [];
    let stop = false;
    const writers = Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let n = 0; !stop; n++) {
          const job = {
            key: `crash-${w}-${n}-${randomUUID()}`,
            id: ids[(w + n) % ids.length],
            notes: `w${w}n${n}`,
          };
          sent.push(job);
          try {
            await request(first.url)
              .put(`/customer/${job.id}`)
              .set(auth)
              .set('idempotency-key', job.key)
              .send({ notes: job.notes });
          } catch {
            return; // the process died under us
          }
        }
      }),
    );
    // Let real writes happen, then kill the process mid-load.
    const deadline = Date.now() + 10_000;
    while (
      (await ds.manager.count(AuditEntry, { where: { merchant_id: k.merchant_id } })) < 40 &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await first.stop('SIGKILL');
    stop = true;
    await writers;

    // 1. Changes and audit entries match one to one.
    const customers = await ds.manager.find(Customer, { where: { merchant_id: k.merchant_id } });
    const audit = await ds.manager.find(AuditEntry, { where: { merchant_id: k.merchant_id } });
    for (const c of customers) {
      const updates = audit.filter((a) => a.customer_id === c.id && a.action === 'customer.updated');
      expect(updates).toHaveLength(c.version - 1);
      const newest = updates.sort((x, y) => Number(y.seq) - Number(x.seq))[0];
      if (newest) expect(newest.changes.notes.to).toBe(c.notes);
    }
    // 2. Every key stored as done has its change.
    const keys = await ds.manager.find(IdempotencyKey, { where: { merchant_id: k.merchant_id } });
    const audited = new Set(audit.map((a) => a.idempotency_key));
    for (const row of keys.filter((r) => r.state === 'done')) expect(audited.has(row.idem_key)).toBe(true);
    // 3. Keys left in flight are bounded by the lease.
    const inFlight = keys.filter((r) => r.state === 'in_flight');
    for (const row of inFlight) expect(row.locked_until.getTime()).toBeLessThanOrEqual(Date.now() + LEASE_MS);
    // 4. ... and none of them has a committed change: a change commits with its stored response, so
    // a retry after the lease runs it for the first time, never twice.
    for (const row of inFlight) expect(audited.has(row.idem_key)).toBe(false);

    // A new process serves, and every key the dead one left in flight becomes usable again
    // once its lease has run out: the retry is answered (run or replayed), never 409 for ever.
    const second = await startServiceProcess(env);
    procs.push(second);
    for (const row of inFlight) {
      const job = sent.find((j) => j.key === row.idem_key)!;
      const retryUntil = row.locked_until.getTime() + 5000;
      for (;;) {
        const res = await request(second.url)
          .put(`/customer/${job.id}`)
          .set(auth)
          .set('idempotency-key', job.key)
          .send({ notes: job.notes });
        if (res.status !== 409) {
          expect(res.status).toBe(200);
          break;
        }
        expect(Date.now()).toBeLessThan(retryUntil);
        await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 250));
      }
    }
    await request(second.url).get('/health/ready').expect(200);
  }, 120_000);
});
