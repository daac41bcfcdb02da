/**
 * How deliveries behave: retries after a 500, a timeout and a refused connection with the same
 * webhook-id; Retry-After; order under concurrent updates; nothing sent for a rolled-back write;
 * secret rotation; the retry window; disabling after failures and re-enabling; redelivery; one
 * slow endpoint not delaying another; the metrics.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { DatabaseService } from '../src/database/database.service';
import { WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookWorker } from '../src/webhooks/webhook-worker';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { Received, Receiver, startReceiver } from './support/receiver';
import {
  FAST_WEBHOOKS,
  firstOfEach,
  settleDeliveries,
  staxWebhook,
  v0Webhook,
  verify,
  WEBHOOK_SCOPES,
} from './support/webhooks';

interface Delivery {
  id: string;
  customer_id: string;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  attempts: {
    status_code: number | null;
    error: string | null;
    duration_ms: number;
    next_retry_at: string | null;
  }[];
}

/** Polls until fn's value satisfies ok (for state kept in the database); fails after timeoutMs. */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhook delivery', () => {
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
  const at = (path: string) => (r: Received) => r.path === `/${path}`;
  const deliveries = async (m: { keyPair: Record<string, string> }, hookId: string) =>
    (await http(t).get(`/api/v0/webhooks/${hookId}/deliveries`).set(m.keyPair).expect(200)).body
      .data as Delivery[];

  it('retries after a 500 and after a timeout with the same webhook-id, and logs each attempt', async () => {
    const m = await merchant();
    const path = randomUUID();
    const hook = await v0Webhook(t, m, `${rx.url}/${path}`, ['customer.created']);
    rx.answer = (_r, i) => (i === 0 ? 500 : i === 1 ? 'hang' : 200);
    await createStaxCustomer(t, m);
    const got = (await rx.waitFor((r) => r.filter(at(path)).length >= 3)).filter(at(path));
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(verify(hook.secret, r)).toEqual(got[0].json);
    const [d] = await eventually(
      () => deliveries(m, hook.id),
      (ds) => ds[0]?.status === 'delivered',
    );
    expect(d.id).toBe(got[0].headers['webhook-id']);
    expect(d.attempt_count).toBe(3);
    expect(d.next_attempt_at).toBeNull();
    expect(d.attempts.map((a) => [a.status_code, a.error])).toEqual([
      [500, 'HTTP 500'],
      [null, 'no answer within 500 ms'],
      [200, null],
    ]);
    expect(d.attempts[0].next_retry_at).toEqual(expect.any(String));
    expect(d.attempts[1].duration_ms).toBeGreaterThanOrEqual(450);
  });

  it('retries after a refused connection until the receiver is up', async () => {
    const m = await merchant();
    // A port nobody listens on (for now).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const hook = await v0Webhook(t, m, `http://127.0.0.1:${port}/late`, ['customer.created']);
    await createStaxCustomer(t, m);
    await eventually(
      () => deliveries(m, hook.id),
      (ds) => (ds[0]?.attempt_count ?? 0) >= 2,
    );
    const seen: string[] = [];
    const late = createServer((req, res) => {
      seen.push(String(req.headers['webhook-id']));
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    try {
      const [d] = await eventually(
        () => deliveries(m, hook.id),
        (ds) => ds[0]?.status === 'delivered',
      );
      expect(d.attempts[0]).toMatchObject({
        status_code: null,
        error: expect.stringContaining('ECONNREFUSED'),
      });
      expect(seen).toEqual([d.id]);
    } finally {
      late.closeAllConnections();
      await new Promise((r) => late.close(r));
    }
  });

  it('honours Retry-After on a 503 and a 429', async () => {
    const m = await merchant();
    const path = randomUUID();
    await v0Webhook(t, m, `${rx.url}/${path}`, ['customer.created']);
    rx.answer = (_r, i) =>
      i === 0
        ? { status: 503, headers: { 'Retry-After': '1' } }
        : i === 1
          ? { status: 429, headers: { 'Retry-After': '1' } }
          : 200;
    await createStaxCustomer(t, m);
    const got = (await rx.waitFor((r) => r.filter(at(path)).length >= 3)).filter(at(path));
    // Without Retry-After the retries would come after about 50 and 100 ms (WEBHOOK_RETRY_BASE_MS).
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(950);
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(950);
  });

  it('keeps the order of a customer’s versions under 50 concurrent updates, with retries in between', async () => {
    const m = await merchant();
    const path = randomUUID();
    await v0Webhook(t, m, `${rx.url}/${path}`, ['customer.updated']);
    const c = await createStaxCustomer(t, m);
    // Every fifth request fails: its retry must still come before the next version.
    rx.answer = (_r, i) => (i % 5 === 2 ? 500 : 200);
    const res = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ notes: `n${i}` }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(Array(50).fill(200));
    const accepted = () => firstOfEach(rx.received.filter((r, i) => at(path)(r) && i % 5 !== 2));
    await rx.waitFor(() => accepted().length >= 50, 20_000);
    // Each accepted event starts where the one before ended: all 50, in the order they were written.
    let notes: unknown = null;
    for (const r of accepted()) {
      const change = (r.json.data as { changes: { notes: { from: unknown; to: unknown } } }).changes.notes;
      expect(change.from).toBe(notes);
      notes = change.to;
    }
    expect(new Set(accepted().map((r) => r.headers['webhook-id'])).size).toBe(50);
  });

  it('a write that rolls back sends nothing', async () => {
    const m = await merchant();
    const path = randomUUID();
    await staxWebhook(t, m, `${rx.url}/${path}`, 'update_customer');
    const a = await createStaxCustomer(t, m);
    const b = await createStaxCustomer(t, m);
    // The email is taken: the update and its outbox row roll back together.
    await http(t)
      .put(`/customer/${b.id}`)
      .set(m.bearer)
      .send({ email: a.email, company: 'Rolled back' })
      .expect(409);
    await http(t).put(`/customer/${b.id}`).set(m.bearer).send({ company: 'Committed' }).expect(200);
    const got = (await rx.waitFor((r) => r.some(at(path)))).filter(at(path));
    expect(firstOfEach(got).map((r) => r.json.company)).toEqual(['Committed']);
  });

  it('after a secret rotation, deliveries carry both signatures for 24 hours', async () => {
    const m = await merchant();
    const path = randomUUID();
    const hook = await staxWebhook(t, m, `${rx.url}/${path}`, 'create_customer');
    const rotated = await http(t).post(`/webhook/${hook.id}/rotate-secret`).set(m.bearer).expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    await createStaxCustomer(t, m);
    const [r] = (await rx.waitFor((all) => all.some(at(path)))).filter(at(path));
    const signatures = String(r.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(verify(rotated.body.secret, r)).toEqual(r.json);
    expect(verify(hook.secret, r)).toEqual(r.json);
    // Each signature is the one its secret makes.
    const ts = new Date(Number(r.headers['webhook-timestamp']) * 1000);
    const id = String(r.headers['webhook-id']);
    expect(signatures).toEqual([
      new Webhook(rotated.body.secret).sign(id, ts, r.body),
      new Webhook(hook.secret).sign(id, ts, r.body),
    ]);
  });

  it('redelivers a delivered event with the same webhook-id', async () => {
    const m = await merchant();
    const path = randomUUID();
    const hook = await v0Webhook(t, m, `${rx.url}/${path}`, ['customer.created']);
    await createStaxCustomer(t, m);
    const [d] = await eventually(
      () => deliveries(m, hook.id),
      (ds) => ds[0]?.status === 'delivered',
    );
    const again = await http(t)
      .post(`/api/v0/webhooks/${hook.id}/deliveries/${d.id}/redeliver`)
      .set(m.keyPair)
      .expect(200);
    expect(again.body).toMatchObject({ id: d.id, status: 'pending' });
    const got = (await rx.waitFor((r) => r.filter(at(path)).length >= 2)).filter(at(path));
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([d.id, d.id]);
    expect(got[1].body).toBe(got[0].body);
    await http(t)
      .post(`/api/v0/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`)
      .set(m.keyPair)
      .expect(404);
    await http(t).post(`/api/v0/webhooks/${hook.id}/deliveries/nope/redeliver`).set(m.keyPair).expect(400);
  });

  it('one endpoint that never answers does not delay another', async () => {
    const m = await merchant();
    const slow = randomUUID();
    const fast = randomUUID();
    await v0Webhook(t, m, `${rx.url}/${slow}`, ['customer.created']);
    await v0Webhook(t, m, `${rx.url}/${fast}`, ['customer.created']);
    rx.answer = (r) => (r.path === `/${slow}` ? 'hang' : 200);
    const started = Date.now();
    await createStaxCustomer(t, m);
    const got = await rx.waitFor((r) => r.some(at(fast)));
    expect(got.find(at(fast))!.at - started).toBeLessThan(400);
  });

  it('reports delivered attempts and the pending backlog as metrics', async () => {
    const m = await merchant();
    await v0Webhook(t, m, `${rx.url}/${randomUUID()}`, ['customer.created']);
    await createStaxCustomer(t, m);
    const text = await eventually(
      async () => (await http(t).get('/metrics').expect(200)).text,
      (s) => /webhook_attempts_total\{outcome="delivered"\} [1-9]/.test(s),
    );
    expect(text).toMatch(/webhook_deliveries_pending \d+/);
    expect(text).toMatch(/webhook_oldest_pending_age_seconds [\d.]+/);
  });

  describe('giving up', () => {
    let g: TestApp;
    beforeAll(async () => {
      g = await startApp({
        ...FAST_WEBHOOKS,
        WEBHOOK_RETRY_WINDOW_MS: '400',
        WEBHOOK_DISABLE_AFTER_MS: '1500',
      });
    });
    afterAll(() => g.close());

    it('marks a delivery failed once the retry window has passed', async () => {
      const m = await newMerchant(g, WEBHOOK_SCOPES);
      const path = randomUUID();
      const hook = await v0Webhook(g, m, `${rx.url}/${path}`, ['customer.created']);
      rx.answer = () => 500;
      await createStaxCustomer(g, m);
      const [d] = await eventually(
        async () =>
          (await http(g).get(`/api/v0/webhooks/${hook.id}/deliveries`).set(m.keyPair)).body
            .data as Delivery[],
        (ds) => ds[0]?.status === 'failed',
      );
      expect(d.attempt_count).toBeGreaterThanOrEqual(3);
      expect(d.next_attempt_at).toBeNull();
      expect(d.attempts.at(-1)!.next_retry_at).toBeNull();
      const count = rx.received.filter(at(path)).length;
      expect(count).toBe(d.attempt_count);
    });

    it('disables an endpoint with no success for WEBHOOK_DISABLE_AFTER_MS, and enables it again', async () => {
      const m = await newMerchant(g, WEBHOOK_SCOPES);
      const path = randomUUID();
      const hook = await v0Webhook(g, m, `${rx.url}/${path}`, ['customer.created']);
      rx.answer = () => 500;
      // Changes keep coming while the receiver keeps failing.
      const disabled = await eventually(
        async () => {
          await createStaxCustomer(g, m);
          return (await http(g).get(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200)).body;
        },
        (w) => w.enabled === false,
      );
      expect(disabled.disabled_reason).toMatch(/^No successful delivery for [\d.]+ hours$/);
      // Nothing is pending any more: what was is held for it (one in flight at that moment at its
      // next turn); what had run out of its retry window is failed.
      const ds = await eventually(
        async () =>
          (await http(g).get(`/api/v0/webhooks/${hook.id}/deliveries?take=100`).set(m.keyPair)).body
            .data as Delivery[],
        (list) => list.every((d) => d.status === 'failed' || d.status === 'held'),
      );
      // A change made while it is disabled is held for it too, not sent.
      const missed = await createStaxCustomer(g, m);
      const list = async () =>
        (await http(g).get(`/api/v0/webhooks/${hook.id}/deliveries?take=100`).set(m.keyPair)).body
          .data as Delivery[];
      const whileDisabled = await list();
      expect(whileDisabled).toHaveLength(ds.length + 1);
      expect(whileDisabled[0]).toMatchObject({ status: 'held', next_attempt_at: null, attempt_count: 0 });
      const objectId = (x: Received) => (x.json.data as { object: { id: string } }).object.id;
      // Held is the endpoint's state, not written into its deliveries: they are stored pending, as
      // they were, and the claims pass over them.
      const stored = await g.app
        .get(DataSource)
        .query<{ event_id: string; status: string; next_attempt_at: unknown }[]>(
          'SELECT event_id, status, next_attempt_at FROM webhook_deliveries WHERE endpoint_id = ?',
          [hook.id],
        );
      expect(stored.filter((d) => d.status !== 'pending' && d.status !== 'failed')).toEqual([]);
      const missedRow = stored.find((d) => d.event_id === whileDisabled[0].id)!;
      expect(missedRow.status).toBe('pending');
      expect(missedRow.next_attempt_at).not.toBeNull();
      // Longer than the retry window (400 ms): the window of what waited counts from the enabling.
      await new Promise((r) => setTimeout(r, 600));
      expect(rx.received.filter((x) => at(path)(x) && objectId(x) === missed.id)).toEqual([]);
      // Re-enabled, it receives what it missed (every held delivery), then the changes from now on.
      // The first attempt of the missed change fails: it is retried, not given up.
      const held = whileDisabled.filter((d) => d.status === 'held').map((d) => d.id);
      let missedFailures = 0;
      rx.answer = (x) => (at(path)(x) && objectId(x) === missed.id && missedFailures++ === 0 ? 500 : 200);
      const enabled = await http(g).post(`/api/v0/webhooks/${hook.id}/enable`).set(m.keyPair).expect(200);
      expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
      const c = await createStaxCustomer(g, m);
      // Both arrive; in which order is not promised (order holds per customer, and these are two).
      await rx.waitFor(
        (r) =>
          r.some((x) => at(path)(x) && objectId(x) === c.id) &&
          r.some((x) => at(path)(x) && objectId(x) === missed.id),
      );
      const after = await eventually(list, (l) => l.every((d) => d.status !== 'pending'));
      const status = new Map(after.map((d) => [d.id, d.status]));
      expect(after[0].status).toBe('delivered');
      for (const id of held) expect(status.get(id)).toBe('delivered');
      expect(after.find((d) => d.id === whileDisabled[0].id)!.attempt_count).toBe(2);
      // Those that had run out of their retry window stay failed.
      for (const d of whileDisabled) if (!held.includes(d.id)) expect(status.get(d.id)).toBe('failed');
    });

    it('fails the deliveries held for a disabled endpoint after it is deleted, a chunk at a time', async () => {
      const m = await newMerchant(g, WEBHOOK_SCOPES);
      const path = randomUUID();
      const hook = await v0Webhook(g, m, `${rx.url}/${path}`, ['customer.created']);
      rx.answer = () => 500;
      await eventually(
        async () => {
          await createStaxCustomer(g, m);
          return (await http(g).get(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200)).body;
        },
        (w) => w.enabled === false,
      );
      await createStaxCustomer(g, m);
      const deliveriesOf = async () =>
        (await http(g).get(`/api/v0/webhooks/${hook.id}/deliveries?take=100`).set(m.keyPair)).body
          .data as Delivery[];
      const [last] = await deliveriesOf();
      expect(last.status).toBe('held');
      // A backlog of more than two chunks (500 each) behind it.
      const repo = g.app.get(WebhookDeliveriesRepository);
      const now = new Date();
      await g.app.get(DatabaseService).transaction(async (tx) =>
        repo.queue(
          tx,
          Array.from({ length: 1_100 }, () => ({
            event_id: randomUUID(),
            merchant_id: m.merchantId,
            endpoint_id: hook.id,
            customer_id: last.customer_id,
            event_type: 'customer.created',
            payload: '{}',
            status: 'pending' as const,
            attempt_count: 0,
            attempts: [],
            next_attempt_at: now,
            created_at: now,
            queued_at: now,
          })),
        ),
      );
      await http(g).delete(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200);
      // The worker fails them at its next poll. Deleted endpoints' deliveries are no longer listed
      // through the API: read them directly.
      const rows = await eventually(
        () =>
          g.app
            .get(DataSource)
            .query('SELECT status FROM webhook_deliveries WHERE endpoint_id = ?', [hook.id]),
        (found: { status: string }[]) => found.every((r) => r.status === 'failed'),
      );
      expect(rows.length).toBeGreaterThan(1_100);
    });
  });

  it('app.close() stops the worker at once and gives back the claim of an attempt in flight', async () => {
    // On a shared database (MariaDB) the suite's own app would claim deliveries too: this is the
    // last test, so its worker stops here and the claim is surely the closing app's.
    await t.app.get(WebhookWorker).beforeApplicationShutdown();
    const s = await startApp(FAST_WEBHOOKS);
    let ds: DataSource | undefined;
    try {
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const path = randomUUID();
      await v0Webhook(s, m, `${rx.url}/${path}`, ['customer.created']);
      rx.answer = () => 'hang';
      await createStaxCustomer(s, m);
      await rx.waitFor((r) => r.some(at(path)));
      const started = Date.now();
      await s.app.close();
      // Not the 500 ms the attempt could still wait for its answer.
      expect(Date.now() - started).toBeLessThan(450);
      ds = new DataSource(dataSourceOptions(s.databaseUrl));
      await ds.initialize();
      const rows: { status: string; attempt_count: number; locked_until: unknown; lock_owner: unknown }[] =
        await ds.query(
          'SELECT status, attempt_count, locked_until, lock_owner FROM webhook_deliveries WHERE merchant_id = ?',
          [m.merchantId],
        );
      // Still to be delivered, by whichever instance comes next, without waiting for a lease.
      expect(rows).toEqual([{ status: 'pending', attempt_count: 0, locked_until: null, lock_owner: null }]);
    } finally {
      await ds?.destroy();
      await s.close().catch(() => undefined);
    }
  });

  it('a change is sent as soon as it commits, not at the next poll', async () => {
    // Runs after the test above stopped the suite's worker: this app's is the only one, and it
    // polls once a minute, so only the nudge after the change's commit can send within the wait.
    const s = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_POLL_MS: '60000' });
    try {
      rx.answer = () => 200;
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const path = randomUUID();
      await v0Webhook(s, m, `${rx.url}/${path}`, ['customer.created', 'customer.updated']);
      const c = await createStaxCustomer(s, m);
      await rx.waitFor((r) => r.some(at(path)), 5_000);
      // And every change after it, each nudging the worker after its own commit.
      for (let i = 0; i < 5; i++)
        await http(s)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ company: `C${i}` })
          .expect(200);
      const got = await rx.waitFor((r) => firstOfEach(r.filter(at(path))).length >= 6, 5_000);
      expect(firstOfEach(got.filter(at(path))).map((r) => r.json.type)).toEqual([
        'customer.created',
        ...Array(5).fill('customer.updated'),
      ]);
    } finally {
      await s.close();
    }
  });
  it('a customer’s next version is sent as soon as the previous one is answered, not at the next poll', async () => {
    // As above, a minute between polls. Each answer takes 150 ms, so the next versions are queued
    // (and held back by the order rule) while the first is in flight: only the claim made when an
    // attempt ends can send them within the wait.
    const s = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_POLL_MS: '60000' });
    try {
      rx.answer = () => ({ status: 200, delayMs: 150 });
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const path = randomUUID();
      await staxWebhook(s, m, `${rx.url}/${path}`, 'update_customer');
      const c = await createStaxCustomer(s, m);
      for (let i = 0; i < 4; i++)
        await http(s)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ company: `V${i}` })
          .expect(200);
      const got = await rx.waitFor((r) => firstOfEach(r.filter(at(path))).length >= 4, 5_000);
      const companies = firstOfEach(got.filter(at(path))).map((r) => r.json.company);
      expect(companies).toEqual(['V0', 'V1', 'V2', 'V3']);
    } finally {
      rx.answer = () => 200;
      await s.close();
    }
  });
  it('one endpoint kept busy by a stream of changes does not hold up another endpoint’s retry', async () => {
    // Polls every 200 ms; between them the worker is kept busy claiming for the busy endpoint after
    // each of its changes (several a poll interval), which must not put the next poll off.
    const s = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_POLL_MS: '200', WEBHOOK_RETRY_BASE_MS: '100' });
    try {
      const busyPath = randomUUID();
      const retryPath = randomUUID();
      rx.answer = (r) => (at(retryPath)(r) && rx.received.filter(at(retryPath)).length === 1 ? 500 : 200);
      const busy = await newMerchant(s, WEBHOOK_SCOPES);
      await v0Webhook(s, busy, `${rx.url}/${busyPath}`, ['customer.created', 'customer.updated']);
      const other = await newMerchant(s, WEBHOOK_SCOPES);
      await v0Webhook(s, other, `${rx.url}/${retryPath}`, ['customer.created']);
      const c = await createStaxCustomer(s, busy);
      // The other endpoint fails once (500): its retry comes due about 100 ms later, found by a poll.
      await createStaxCustomer(s, other);
      const streamEnds = Date.now() + 2_000;
      let i = 0;
      while (Date.now() < streamEnds)
        await http(s)
          .put(`/customer/${c.id}`)
          .set(busy.bearer)
          .send({ company: `S${i++}` })
          .expect(200);
      const retries = rx.received.filter(at(retryPath));
      expect(retries.length).toBeGreaterThanOrEqual(2);
      // The retry arrived while the stream was still going, well before its end.
      expect(retries[1].at).toBeLessThan(streamEnds - 1_000);
    } finally {
      rx.answer = () => 200;
      await s.close();
    }
  });
});
