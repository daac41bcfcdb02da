/**
 * The lease on an in-flight idempotency key: a heartbeat renews it while the owner works, so a
 * slow request keeps its key; and it is fenced, so a request that stalled past its lease (its
 * heartbeat stopped too, as in a frozen process) while a retry took the key over cannot commit.
 * The owner is paused right before its transaction, through a spy on DatabaseService.transaction.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { DatabaseService } from '../src/database/database.service';
import { IdempotencyRepository } from '../src/idempotency/idempotency.repository';
import { TAKEN_OVER } from '../src/idempotency/idempotency.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

const LEASE_MS = 1000;

describe('idempotency key leases', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No webhook worker: its claims run through db.transaction too, which a test here pauses once.
    t = await startApp({ IDEMPOTENCY_LEASE_MS: String(LEASE_MS), WEBHOOK_WORKER: 'false' });
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  /** Holds the next customer write before its transaction until `release` is called. */
  function pauseNextWrite() {
    const db = t.app.get(DatabaseService);
    const original = db.transaction.bind(db);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const paused = new Promise<void>((r) => (reached = r));
    jest.spyOn(db, 'transaction').mockImplementationOnce(async (fn) => {
      reached();
      await gate;
      return original(fn);
    });
    return { paused, release };
  }

  const put = (m: TestMerchant, id: string, key: string, body: object) =>
    http(t).put(`/customer/${id}`).set(m.bearer).set('idempotency-key', key).send(body);

  const auditWithKey = async (m: TestMerchant, id: string, key: string) => {
    const log = await http(t).get(`/customer/${id}/audit-log`).set(m.bearer).expect(200);
    return (log.body.data as { idempotency_key: string | null }[]).filter((e) => e.idempotency_key === key)
      .length;
  };

  it('a slow owner keeps its key past the lease: retries meanwhile get 409, then the replay', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const { paused, release } = pauseNextWrite();
    const owner = put(m, c.id, key, { company: 'Slow' }).then((r: Response) => r);
    await paused;
    const retries: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await sleep(LEASE_MS);
        retries.push((await put(m, c.id, key, { company: 'Slow' })).status);
      }
    } finally {
      release();
    }
    expect(retries).toEqual([409, 409, 409]);
    expect((await owner).status).toBe(200);
    const replay = await put(m, c.id, key, { company: 'Slow' }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await auditWithKey(m, c.id, key)).toBe(1);
  });

  it('an owner that stalled past its lease while a retry took the key over commits nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    // A frozen process renews nothing: its heartbeat's renewals reach no database.
    jest.spyOn(t.app.get(IdempotencyRepository), 'renew').mockResolvedValue(true);
    const { paused, release } = pauseNextWrite();
    const stalled = put(m, c.id, key, { company: 'Retried' }).then((r: Response) => r);
    await paused;

    let retry: Response | undefined;
    try {
      for (let i = 0; i < 20 && retry?.status !== 200; i++) {
        await sleep(LEASE_MS / 4);
        retry = await put(m, c.id, key, { company: 'Retried' });
      }
      // Someone changes the company after the retry; the stalled request must not put it back.
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Later' }).expect(200);
    } finally {
      release();
    }
    expect(retry?.status).toBe(200);
    expect(retry?.body.company).toBe('Retried');
    const late = await stalled;
    expect(late.status).toBe(409);
    expect(late.body.message).toBe(TAKEN_OVER);
    expect((await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200)).body.company).toBe('Later');
    expect(await auditWithKey(m, c.id, key)).toBe(1);
    // The key still answers with the retry's response.
    const replay = await put(m, c.id, key, { company: 'Retried' }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(retry?.body);
  });
});
