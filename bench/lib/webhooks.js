'use strict';
/**
 * The webhook part of `npm run bench` (bench/README.md, "Webhooks"): what webhooks cost a customer
 * write and how late they arrive, measured on the service the rest of the bench runs.
 *
 * Each round, at the smallest scale:
 * 1. `put_no_webhook` then `put_dead_webhook`: the `put` scenario with no webhook, then with one
 *    subscribed endpoint that accepts connections and never answers (each attempt waits out
 *    WEBHOOK_TIMEOUT_MS, 10 s); their ratio is the target (≥ 0.9).
 * 2. Delivery lag: one endpoint that answers 200 at once, PUTs paced at LAG_RATE a second; the lag
 *    of an event is its arrival at the receiver minus its `createdAt` (the change's updated_at, set
 *    just before its transaction commits); p50 and p99.
 */
const { execFile } = require('node:child_process');
const http = require('node:http');
const { join } = require('node:path');
const { promisify } = require('node:util');
const autocannon = require('autocannon');
const { BUILD_DIR, ROOT, cpuMsOf, machineBusyMs, percentile, round, sleep } = require('./util');
const { cpus } = require('node:os');

/** What the service needs for webhooks in the bench: a signing key, receivers on 127.0.0.1 over http. */
const WEBHOOK_ENV = {
  WEBHOOK_SECRET_KEY: 'ef'.repeat(32),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_ALLOW_HTTP: 'true',
};
const LAG_RATE = 100;
/** How long to wait for the last events of the lag run after its writes. */
const LAG_DRAIN_MS = 30_000;
const TARGET_DEAD_RATIO = 0.9;

/** A key of the benchmarked merchant that can manage webhooks (the seeded one cannot). */
async function webhookKey(databaseUrl, merchantId) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(BUILD_DIR, 'src', 'cli.js'),
      'key:create',
      '--merchant',
      merchantId,
      '--scopes',
      'customers:read customers:write webhooks:read webhooks:write',
      '--json',
    ],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production' } },
  );
  const out = JSON.parse(stdout.trim().split('\n').pop());
  if (!out.client_secret) throw new Error(`key:create failed: ${stdout}`);
  return { 'x-client-key': out.client_key, 'x-client-secret': out.client_secret };
}

/** One request to the service on 127.0.0.1: its JSON body, or an error for a status of 300 and up. */
function call(port, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : null);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A receiver on 127.0.0.1: 'dead' holds every request forever, 'fast' answers 200 and records the
 * lag of each event the first time its `webhook-id` arrives; an id that arrives again is counted
 * apart (`duplicates`: a retry of a delivery the service did not see answered, or a bug).
 */
async function receiver(kind) {
  const lags = [];
  const seen = new Set();
  const duplicates = [];
  const held = new Set();
  const server = http.createServer((req, res) => {
    if (kind === 'dead') {
      held.add(res);
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      if (seen.has(id)) duplicates.push(id);
      else {
        seen.add(id);
        const event = JSON.parse(body);
        lags.push(Date.now() - Date.parse(event.createdAt));
      }
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    lags,
    duplicates,
    /** Drops the held requests: the attempts in flight fail now rather than after their timeout. */
    drop() {
      for (const r of held) r.destroy();
      held.clear();
    },
    close() {
      this.drop();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/**
 * For each duplicated event id, how the service recorded its delivery: its attempts and their
 * outcomes (a duplicate after a recorded failure is an at-least-once retry; one after a single
 * recorded success is not).
 */
async function retriedDeliveries(port, key, hookId, ids) {
  const found = [];
  for (let skip = 0; ids.size > found.length; skip += 100) {
    const page = await call(port, 'GET', `/api/v0/webhooks/${hookId}/deliveries?take=100&skip=${skip}`, key);
    for (const d of page.data) {
      if (!ids.has(d.id)) continue;
      const attempts = d.attempts.map((a) => a.status_code ?? a.error).join('→');
      found.push(`${d.id}: ${d.status} after ${d.attempt_count} attempts ${attempts}`);
    }
    if (skip + 100 >= page.total) break;
  }
  return found;
}

/**
 * The webhook scenarios, for bench/run.js: `put_no_webhook` and `put_dead_webhook` are measured
 * with its runOnce (same warm-up, CPU and other-load figures as every scenario), the lag here.
 */
function webhookScenarios(put) {
  return [
    { ...put, name: 'put_no_webhook', title: 'PUT, no webhook (pair with the next row)' },
    { ...put, name: 'put_dead_webhook', title: 'PUT, one webhook endpoint that never answers' },
  ];
}

/**
 * One round: the pair of PUT runs (`runScenario(s)` measures one) around a dead endpoint, then the
 * delivery lag. Returns the two runs and the lag figures.
 */
async function webhookRound({ port, db, key, runScenario, scenarios, connections, duration, where, log }) {
  const [none, dead] = scenarios;
  const noneRun = await runScenario(none);
  const deadRx = await receiver('dead');
  let deadRun;
  try {
    const hook = await call(port, 'POST', '/api/v0/webhooks', key, { url: deadRx.url });
    try {
      deadRun = await runScenario(dead);
    } finally {
      await call(port, 'DELETE', `/api/v0/webhooks/${hook.id}`, key);
    }
  } finally {
    await deadRx.close();
  }

  const fast = await receiver('fast');
  try {
    const hook = await call(port, 'POST', '/api/v0/webhooks', key, {
      url: fast.url,
      events: ['customer.updated'],
    });
    let n = 0;
    const tag = Date.now().toString(36);
    const put = {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${db.merchant.client_secret}` },
      setupRequest: (req) => {
        req.path = `/customer/${db.ids[Math.floor(Math.random() * db.ids.length)]}`;
        req.body = JSON.stringify({ firstname: `Lag ${tag}${n++}` });
        return req;
      },
    };
    const cpu0 = cpuMsOf(where.servicePid);
    const db0 = where.dbPid ? cpuMsOf(where.dbPid) : 0;
    const self0 = process.cpuUsage();
    const busy0 = machineBusyMs();
    const t0 = Date.now();
    const paced = await new Promise((resolve, reject) =>
      autocannon(
        { url: `http://127.0.0.1:${port}`, connections: 4, duration, overallRate: LAG_RATE, requests: [put] },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    // The events to expect are the deliveries the service queued for this endpoint, one per write
    // that committed: autocannon's 2xx count misses the writes still in flight when its duration
    // ended, which commit (and send their event) all the same.
    const queued = async () =>
      (await call(port, 'GET', `/api/v0/webhooks/${hook.id}/deliveries?take=1`, key)).total;
    let expected = await queued();
    const deadline = Date.now() + LAG_DRAIN_MS;
    while (Date.now() < deadline) {
      // Asked again once all that was counted arrived: a write still in flight may have committed since.
      if (fast.lags.length >= expected && fast.lags.length >= (expected = await queued())) break;
      await sleep(50);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuMsOf(where.servicePid) - cpu0;
    const dbCpu = where.dbPid ? cpuMsOf(where.dbPid) - db0 : 0;
    const self = process.cpuUsage(self0);
    const busy = machineBusyMs() - busy0;
    const foreign = busy - cpu - dbCpu - (self.user + self.system) / 1000;
    const retried = await retriedDeliveries(port, key, hook.id, new Set(fast.duplicates));
    await call(port, 'DELETE', `/api/v0/webhooks/${hook.id}`, key);
    const sorted = Float64Array.from(fast.lags).sort();
    const lag = {
      rate: LAG_RATE,
      events: fast.lags.length,
      expected,
      writes2xx: paced['2xx'],
      duplicates: fast.duplicates.length,
      retried,
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      foreignCpuPct: round((100 * Math.max(0, foreign)) / (seconds * 1000 * cpus().length), 0),
    };
    log(
      `  webhook lag     p50 ${lag.p50} ms  p99 ${lag.p99} ms  (${lag.events} distinct events of ${expected} ` +
        `writes committed, ${lag.writes2xx} answered 2xx in the window, ${lag.duplicates} duplicates` +
        `${retried.length ? ` (${retried.join(', ')})` : ''}; ${LAG_RATE} PUT/s)  other load ${lag.foreignCpuPct}%`,
    );
    return { none: noneRun, dead: deadRun, lag };
  } finally {
    await fast.close();
  }
}

module.exports = {
  WEBHOOK_ENV,
  TARGET_DEAD_RATIO,
  LAG_RATE,
  call,
  webhookKey,
  webhookScenarios,
  webhookRound,
};
