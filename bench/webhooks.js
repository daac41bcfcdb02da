'use strict';
/**
 * The webhook benchmark (`npm run bench:webhooks`): what webhooks cost a customer write and how
 * late they arrive.
 *
 * 1. Write throughput: PUT /customer/{id} for --duration seconds with no webhook, then with one
 *    subscribed endpoint that accepts the connection and never answers (each attempt waits out
 *    WEBHOOK_TIMEOUT_MS, 10 s), alternating --repeat times; the ratio of the medians should stay
 *    above 0.9.
 * 2. Delivery lag: with one endpoint that answers 200 at once, PUTs at --rate a second; the lag of
 *    each `customer.updated` event is its arrival at the receiver minus the change's `createdAt`;
 *    p50 and p99.
 *
 * Options: --sqlite (default) or --mysql [url] (default mysql://root@127.0.0.1:3306, a database
 * mc_bench_webhooks made and dropped), --duration 5, --repeat 2, --connections 10, --rate 100,
 * --customers 500. Prints a markdown table; writes bench/results/webhooks-<timestamp>.json.
 */
const { execFileSync } = require('node:child_process');
const { mkdirSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { startService } = require('./lib/proc');
const { drive } = require('./lib/scenarios');
const { BUILD_DIR, ROOT, percentile, median, round, sleep } = require('./lib/util');

const { values: args } = parseArgs({
  options: {
    mysql: { type: 'string' },
    sqlite: { type: 'boolean' },
    duration: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    customers: { type: 'string', default: '500' },
  },
  allowPositionals: false,
});
const duration = Number(args.duration);
const log = (m) => process.stderr.write(`[bench:webhooks] ${m}\n`);

function build() {
  log(`building the service into ${BUILD_DIR}`);
  rmSync(BUILD_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR, '--incremental', 'false'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (!existsSync(join(BUILD_DIR, 'src', 'main.js'))) throw new Error('build failed');
}

function call(port, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** A receiver on 127.0.0.1: 'dead' holds every request forever, 'fast' answers 200 and records lags. */
async function receiver(kind) {
  const lags = [];
  const held = [];
  const server = http.createServer((req, res) => {
    if (kind === 'dead') return held.push(res);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const event = JSON.parse(body);
      if (event.type === 'customer.updated') lags.push(Date.now() - Date.parse(event.createdAt));
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    lags,
    close: () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

async function main() {
  build();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logDir = join(ROOT, 'bench', 'results', `logs-webhooks-${stamp}`);
  mkdirSync(logDir, { recursive: true });
  let databaseUrl;
  let dropMysql;
  if (args.mysql !== undefined) {
    const server = args.mysql || 'mysql://root@127.0.0.1:3306';
    const mysql = require('mysql2/promise');
    const conn = await mysql.createConnection(server);
    await conn.query('DROP DATABASE IF EXISTS mc_bench_webhooks');
    await conn.query('CREATE DATABASE mc_bench_webhooks');
    databaseUrl = `${server}/mc_bench_webhooks`;
    dropMysql = async () => {
      await conn.query('DROP DATABASE IF EXISTS mc_bench_webhooks');
      await conn.end();
    };
  } else {
    databaseUrl = `sqlite:${join(tmpdir(), `mc-bench-webhooks-${stamp}.sqlite`)}`;
  }
  const env = {
    WEBHOOK_SECRET_KEY: 'ef'.repeat(32),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    LOG_LEVEL: 'warn',
    // Any WEBHOOK_* setting of the environment reaches the service (WEBHOOK_WORKER=false: the outbox alone).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WEBHOOK_'))),
  };
  const out = JSON.parse(
    execFileSync(
      process.execPath,
      [join(BUILD_DIR, 'src', 'cli.js'), 'merchant:create', '--name', 'Webhook bench', '--json', '--scopes', 'customers:read customers:write webhooks:read webhooks:write'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production' } },
    )
      .toString()
      .trim()
      .split('\n')
      .pop(),
  );
  const service = await startService({ databaseUrl, logDir, label: 'webhooks', extraEnv: env });
  const auth = { authorization: `Bearer ${out.client_secret}` };
  const v0 = { 'x-client-key': out.client_key, 'x-client-secret': out.client_secret };
  const dead = await receiver('dead');
  const fast = await receiver('fast');
  try {
    for (let i = 0; i < 300 && (await call(service.port, 'GET', '/health/live', {}).catch(() => ({}))).status !== 200; i++)
      await sleep(100);
    const ids = [];
    for (let i = 0; i < Number(args.customers); i++)
      ids.push((await call(service.port, 'POST', '/customer', auth, { firstname: `W${i}` })).body.id);
    let n = 0;
    const put = {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      setupRequest: (req) => {
        req.path = `/customer/${ids[Math.floor(Math.random() * ids.length)]}`;
        req.body = JSON.stringify({ firstname: `Bench ${n++}` });
        return req;
      },
    };
    const load = () => drive({ port: service.port, connections: Number(args.connections), duration, request: put });

    const without = [];
    const withDead = [];
    for (let r = 0; r < Number(args.repeat); r++) {
      log(`round ${r + 1}: no webhook`);
      without.push(await load());
      const hook = await call(service.port, 'POST', '/api/v0/webhooks', v0, { url: dead.url });
      log(`round ${r + 1}: one endpoint that never answers`);
      withDead.push(await load());
      await call(service.port, 'DELETE', `/api/v0/webhooks/${hook.body.id}`, v0);
    }
    const rpsWithout = median(without.map((x) => x.rps));
    const rpsDead = median(withDead.map((x) => x.rps));

    log('delivery lag: one endpoint answering at once');
    const hook = await call(service.port, 'POST', '/api/v0/webhooks', v0, { url: fast.url, events: ['customer.updated'] });
    const paced = await new Promise((resolve, reject) => {
      const autocannon = require('autocannon');
      autocannon(
        { url: `http://127.0.0.1:${service.port}`, connections: 4, duration, overallRate: Number(args.rate), requests: [put] },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
    const expected = paced['2xx'];
    const deadline = Date.now() + 60_000;
    while (fast.lags.length < expected && Date.now() < deadline) await sleep(100);
    await call(service.port, 'DELETE', `/api/v0/webhooks/${hook.body.id}`, v0);
    const sorted = Float64Array.from(fast.lags).sort();
    const result = {
      database: args.mysql !== undefined ? 'mariadb' : 'sqlite',
      duration,
      repeat: Number(args.repeat),
      connections: Number(args.connections),
      put_rps_without_webhook: round(rpsWithout, 1),
      put_rps_with_dead_endpoint: round(rpsDead, 1),
      throughput_ratio: round(rpsDead / rpsWithout, 3),
      put_p99_without_ms: round(median(without.map((x) => x.p99))),
      put_p99_with_dead_ms: round(median(withDead.map((x) => x.p99))),
      lag_events: fast.lags.length,
      lag_expected: expected,
      lag_p50_ms: round(percentile(sorted, 50)),
      lag_p99_ms: round(percentile(sorted, 99)),
      rounds: { without, withDead },
    };
    writeFileSync(join(ROOT, 'bench', 'results', `webhooks-${stamp}.json`), JSON.stringify(result, null, 2));
    console.log(`
| ${result.database} | value |
|---|---|
| PUT/s, no webhook | ${result.put_rps_without_webhook} |
| PUT/s, one endpoint that never answers | ${result.put_rps_with_dead_endpoint} |
| ratio (target ≥ 0.9) | ${result.throughput_ratio} |
| PUT p99 ms, no webhook / dead endpoint | ${result.put_p99_without_ms} / ${result.put_p99_with_dead_ms} |
| delivery lag p50 / p99 ms (${result.lag_events} of ${expected} events, ${args.rate} PUT/s) | ${result.lag_p50_ms} / ${result.lag_p99_ms} |
`);
  } finally {
    await dead.close();
    await fast.close();
    await service.stop?.();
    if (service.child && !service.exited) service.child.kill('SIGKILL');
    if (dropMysql) await dropMysql();
    if (databaseUrl.startsWith('sqlite:'))
      for (const s of ['', '-wal', '-shm']) rmSync(`${databaseUrl.slice(7)}${s}`, { force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
