#!/usr/bin/env node
'use strict';
/**
 * npm run bench [-- options]        (see bench/README.md)
 *
 *   --quick               small scales (2000,20000), 5 s runs, 1 s warm-up, 1 repeat
 *   --scale 10000,1000000 customers of the benchmarked merchant, per scale (default)
 *   --duration 8          seconds measured per scenario, after --warmup seconds (default 2) discarded
 *   --repeat 3            rounds per scale; each figure is the median over the rounds
 *   --connections 10      concurrent connections
 *   --sqlite              also run everything on SQLite; --no-mysql runs SQLite only
 *   --mysql mysql://root@127.0.0.1:3306   server for the databases the bench creates (mc_bench_<scale>)
 *   --scenarios put,get   only these (see bench/lib/scenarios.js)
 *   --diagnose            also count statements per request and write a CPU profile per scenario
 *   --reuse               keep the seeded databases and reuse them next time (skips seeding)
 *   --env NAME=value      extra environment for the service (repeatable)
 *   --node-flags=…        the service's Node.js flags (default: those of npm start and the Dockerfile;
 *                         --node-flags= runs it with V8's defaults, for a before/after comparison)
 *   --no-build            reuse the bench's last build (bench/results/.build) as it is
 *   --check-targets       exit 1 when a target is missed (it always does on an error or non-2xx)
 *   --buffer-pool 1G      set MariaDB's innodb_buffer_pool_size for the run, restored afterwards
 *   --no-webhooks         skip the webhook rounds (bench/lib/webhooks.js; `--scenarios webhooks` runs
 *                         them alone)
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir, cpus, totalmem } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { SCENARIOS, drive } = require('./lib/scenarios');
const { createMerchant, seedMysql, seedSqlite } = require('./lib/seed');
const { SERVICE_NODE_FLAGS, startBaseline, startService } = require('./lib/proc');
const { summarize } = require('./lib/profile-summary');
const webhooks = require('./lib/webhooks');
const {
  BUILD_DIR,
  ROOT,
  cpuMsOf,
  databaseServerPid,
  machineBusyMs,
  median,
  round,
  sleep,
} = require('./lib/util');

const OTHER_MERCHANTS = 4;
/** Each other merchant holds this share of the benchmarked merchant's count. */
const OTHER_SHARE = 0.05;

const TARGETS = {
  putThroughputVsBaseline: 0.6,
  putP99VsBaseline: 2,
  // Issue 12, "no stalls": PUT p99 with put_beside_list's slow lists running, over put's.
  putP99BesideList: 2,
  scaleSlowdown: 1.25,
  listP50AtLargestMs: 50,
  peakRssMb: 200,
  // Items per second through bulk_v0 (100-item batches) over patch_v0's requests per second.
  bulkItemsVsPatch: 10,
};

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      connections: { type: 'string', default: '10' },
      sqlite: { type: 'boolean', default: false },
      'no-mysql': { type: 'boolean', default: false },
      mysql: { type: 'string', default: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306' },
      scenarios: { type: 'string' },
      diagnose: { type: 'boolean', default: false },
      reuse: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
      'node-flags': { type: 'string', default: SERVICE_NODE_FLAGS.join(' ') },
      'no-build': { type: 'boolean', default: false },
      'check-targets': { type: 'boolean', default: false },
      'buffer-pool': { type: 'string' },
      'no-webhooks': { type: 'boolean', default: false },
    },
  });
  const scales = (values.scale ?? (values.quick ? '2000,20000' : '10000,1000000'))
    .split(',')
    .map((s) => Number(s.replace(/_/g, '')))
    .sort((a, b) => a - b);
  if (scales.some((s) => !Number.isInteger(s) || s < 100)) throw new Error('--scale: integers ≥ 100');
  const extraEnv = Object.fromEntries(
    values.env.map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
  const kinds = [...(values['no-mysql'] ? [] : ['mariadb']), ...(values.sqlite ? ['sqlite'] : [])];
  if (kinds.length === 0) throw new Error('nothing to run: --no-mysql needs --sqlite');
  const only = values.scenarios ? new Set(values.scenarios.split(',')) : undefined;
  for (const name of only ?? []) {
    if (name !== 'webhooks' && !SCENARIOS.some((s) => s.name === name))
      throw new Error(`unknown scenario ${name}`);
  }
  let bufferPoolBytes;
  if (values['buffer-pool'] !== undefined) {
    const m = /^(\d+)([MG])$/i.exec(values['buffer-pool']);
    if (!m) throw new Error('--buffer-pool: a size such as 512M or 1G');
    bufferPoolBytes = Number(m[1]) * 1024 * 1024 * (m[2].toUpperCase() === 'G' ? 1024 : 1);
  }
  return {
    bufferPoolBytes,
    scales,
    kinds,
    duration: Number(values.duration ?? (values.quick ? 5 : 8)),
    warmup: Number(values.warmup ?? (values.quick ? 1 : 2)),
    repeat: Number(values.repeat ?? (values.quick ? 1 : 3)),
    connections: Number(values.connections),
    mysqlServer: values.mysql.replace(/\/+$/, ''),
    only,
    diagnose: values.diagnose,
    reuse: values.reuse,
    extraEnv,
    nodeFlags: values['node-flags'].split(/\s+/).filter(Boolean),
    build: !values['no-build'],
    checkTargets: values['check-targets'],
    webhooks: !values['no-webhooks'],
  };
}

function log(msg) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

async function mysqlAdmin(serverUrl, sql) {
  const mysql = require('mysql2/promise');
  const c = await mysql.createConnection({ uri: serverUrl });
  try {
    return (await c.query(sql))[0];
  } finally {
    await c.end();
  }
}

/**
 * The pid of the MariaDB server the bench talks to (its own pid file), so its CPU time can be read;
 * a scan for any `mariadbd` could find another one (a test may start its own for a while).
 */
async function mysqlServerPid(serverUrl) {
  try {
    const [{ f }] = await mysqlAdmin(serverUrl, 'SELECT @@pid_file AS f');
    const pid = Number(readFileSync(f, 'utf8').trim());
    if (cpuMsOf(pid) !== undefined) return pid;
  } catch {
    // not readable here: fall back to a scan
  }
  return databaseServerPid();
}

/**
 * A seeded database for one kind and scale: merchants and keys via the service CLI, customers by
 * bulk insert. With --reuse, a database seeded earlier (state kept in bench/results/.state) is used.
 */
async function prepareDatabase(kind, scale, opts, stateDir) {
  const name = `mc_bench_${scale}`;
  const databaseUrl =
    kind === 'mariadb' ? `${opts.mysqlServer}/${name}` : `sqlite:${join(tmpdir(), `${name}.sqlite`)}`;
  const stateFile = join(stateDir, `${kind}-${name}.json`);
  if (opts.reuse && existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const ids = await liveIds(kind, databaseUrl, state.merchant.merchant_id).catch(() => []);
    if (ids.length > 0) {
      log(`${kind} ${scale}: reusing ${databaseUrl} (${ids.length} live customers)`);
      return { databaseUrl, merchant: state.merchant, ids, seedSeconds: null, dropAfter: false };
    }
  }
  if (kind === 'mariadb') {
    await mysqlAdmin(opts.mysqlServer, `DROP DATABASE IF EXISTS \`${name}\``);
    await mysqlAdmin(
      opts.mysqlServer,
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } else {
    for (const f of ['', '-wal', '-shm']) rmSync(`${databaseUrl.slice(7)}${f}`, { force: true });
  }
  const t0 = Date.now();
  const merchants = [];
  // Sequential: the first run creates the schema (migrations), the rest must not race it.
  for (let m = 0; m <= OTHER_MERCHANTS; m++) {
    merchants.push(await createMerchant(databaseUrl, `Bench merchant ${m}`));
  }
  const perMerchant = merchants.map((_, m) => (m === 0 ? scale : Math.round(scale * OTHER_SHARE)));
  const total = perMerchant.reduce((a, b) => a + b, 0);
  log(
    `${kind} ${scale}: seeding ${total.toLocaleString('en')} customers ` +
      `(${scale.toLocaleString('en')} for the benchmarked merchant)`,
  );
  const merchantIds = merchants.map((m) => m.merchant_id);
  const ids =
    kind === 'mariadb'
      ? await seedMysql(databaseUrl, merchantIds, perMerchant, { log })
      : seedSqlite(databaseUrl.slice(7), merchantIds, perMerchant);
  const seedSeconds = round((Date.now() - t0) / 1000, 1);
  log(`${kind} ${scale}: seeded in ${seedSeconds} s`);
  const merchant = merchants[0];
  if (opts.reuse) writeFileSync(stateFile, JSON.stringify({ merchant }));
  return { databaseUrl, merchant, ids, seedSeconds, totalCustomers: total, dropAfter: !opts.reuse };
}

/** One column of a read of the seeded database, as a list. */
async function column(kind, databaseUrl, sql, params) {
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(databaseUrl.slice(7), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).pluck().all(...params);
    } finally {
      db.close();
    }
  }
  const mysql = require('mysql2/promise');
  const c = await mysql.createConnection({ uri: databaseUrl });
  try {
    const [rows] = await c.query({ sql, rowsAsArray: true }, params);
    return rows.map((r) => r[0]);
  } finally {
    await c.end();
  }
}

function liveIds(kind, databaseUrl, merchantId) {
  return column(kind, databaseUrl, 'SELECT id FROM customers WHERE merchant_id = ? AND deleted_at IS NULL', [
    merchantId,
  ]);
}

/** Emails of up to 1,000 live customers of the merchant (random: ids are), for the email scenarios. */
function liveEmails(kind, databaseUrl, merchantId) {
  const sql =
    'SELECT email FROM customers WHERE merchant_id = ? AND deleted_at IS NULL AND email IS NOT NULL ORDER BY id LIMIT 1000';
  return column(kind, databaseUrl, sql, [merchantId]);
}

async function dropDatabase(kind, db, opts) {
  if (kind === 'mariadb') {
    await mysqlAdmin(opts.mysqlServer, `DROP DATABASE IF EXISTS \`${db.databaseUrl.split('/').pop()}\``);
  } else {
    for (const f of ['', '-wal', '-shm']) rmSync(`${db.databaseUrl.slice(7)}${f}`, { force: true });
  }
}

/**
 * One measured run of one scenario against one process: warm-up (discarded), then `duration`
 * seconds. Besides throughput and latency it records CPU time per request of the server under
 * test and of the database server, and how much CPU everything else on the machine used meanwhile
 * (the noise: this machine's 2 cores are shared).
 */
async function runOnce(proc, s, db, opts, where) {
  let n = 0;
  // A fresh tag per run keeps idempotency keys and written values unique across runs.
  const ctx = () => ({ ids: db.ids, emails: db.emails, merchant: db.merchant, tag: `${Date.now().toString(36)}${n++}` });
  const request = () => s.request(ctx());
  // A scenario with `beside` runs that load on connections of its own from before the warm-up until
  // the measured run ends (no settling in between: waiting for quick answers would wait it out).
  let besideLoad;
  const beside = s.beside
    ? drive({
        port: proc.port,
        connections: s.beside.connections,
        duration: 3600,
        request: s.beside.request(ctx()),
        onStart: (instance) => (besideLoad = instance),
      })
    : undefined;
  if (opts.warmup > 0) {
    await drive({
      port: proc.port,
      connections: opts.connections,
      duration: opts.warmup,
      request: request(),
    });
    if (!beside) await proc.settle(where.settlePath, where.auth);
  }
  proc.takeWindowRss();
  if (where.diagnose) {
    await proc.ask('reset');
    await proc.ask('profile-start');
  }
  const cpu0 = cpuMsOf(proc.child.pid);
  const db0 = where.dbPid ? cpuMsOf(where.dbPid) : undefined;
  const self0 = process.cpuUsage();
  const busy0 = machineBusyMs();
  const r = await drive({
    port: proc.port,
    connections: opts.connections,
    duration: opts.duration,
    request: request(),
  });
  besideLoad?.stop();
  const cpu = cpuMsOf(proc.child.pid) - cpu0;
  const dbCpu = where.dbPid ? cpuMsOf(where.dbPid) - db0 : 0;
  const selfUsage = process.cpuUsage(self0);
  const selfCpu = (selfUsage.user + selfUsage.system) / 1000;
  const busy = machineBusyMs() - busy0;
  const perReq = (ms) => round(ms / Math.max(1, r.requests), 3);
  r.cpuMsPerRequest = perReq(cpu);
  r.dbCpuMsPerRequest = where.dbPid ? perReq(dbCpu) : undefined;
  r.loadCpuMsPerRequest = perReq(selfCpu);
  // Share of the machine's CPU used by anything but the server, the database and this driver.
  r.foreignCpuPct = round(
    (100 * Math.max(0, busy - cpu - dbCpu - selfCpu)) / (r.seconds * 1000 * cpus().length),
    0,
  );
  if (r.requests === 0) r.errors = Math.max(1, r.errors);
  if (where.diagnose) {
    const file = join(where.profileDir, `${where.label}-${s.name}.cpuprofile`);
    await proc.ask('profile-stop', { file });
    const stats = await proc.ask('stats');
    const memory = await proc.ask('memory');
    r.diagnose = {
      statementsPerRequest: round(stats.statements / Math.max(1, r.requests), 2),
      topStatements: Object.entries(stats.byText)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([sql, count]) => ({ sql, perRequest: round(count / Math.max(1, r.requests), 2) })),
      memory: memory?.memory,
      profile: file,
      cpu: summarize(JSON.parse(readFileSync(file, 'utf8')), 12),
    };
  }
  r.rssMb = round(proc.takeWindowRss() / 1048576, 1);
  if (beside) {
    const b = await beside;
    r.beside = { rps: b.rps, p50: b.p50, p99: b.p99, non2xx: b.non2xx, errors: b.errors };
    r.non2xx += b.non2xx;
    r.errors += b.errors;
  }
  await proc.settle(where.settlePath, where.auth);
  // The same request alone, once the queue has drained: its own cost, with nothing to wait for.
  // A scenario whose request differs each time (a random customer's email, a random cursor)
  // gives a function of the database: the alone figure is then one such request, five times.
  if (s.alonePath) {
    const path = typeof s.alonePath === 'function' ? s.alonePath(db) : s.alonePath;
    r.aloneMs = await proc.alone(path, s.aloneHeaders ? s.aloneHeaders(db) : where.auth);
  }
  log(
    `  ${s.name.padEnd(15)} ${String(r.rps).padStart(8)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms` +
      `  cpu/req ${r.cpuMsPerRequest} ms (db ${r.dbCpuMsPerRequest ?? '–'})  other load ${r.foreignCpuPct}%` +
      `  non2xx ${r.non2xx} errors ${r.errors}${r.aloneMs !== undefined ? `  alone ${r.aloneMs} ms` : ''}` +
      `${r.diagnose ? `  stmts/req ${r.diagnose.statementsPerRequest}` : ''}`,
  );
  if (r.beside) log(`    beside: ${r.beside.rps} req/s  p50 ${r.beside.p50} ms  p99 ${r.beside.p99} ms`);
  if (r.non2xx > 0) log(`    status codes: ${JSON.stringify(r.statusCodes)}`);
  return r;
}

const MEDIAN_FIELDS = [
  'rps',
  'p50',
  'p90',
  'p99',
  'mean',
  'cpuMsPerRequest',
  'dbCpuMsPerRequest',
  'loadCpuMsPerRequest',
  'foreignCpuPct',
  'aloneMs',
];

/** The rounds of one scenario as one row: the median of each figure, the sum of the failures. */
function combine(s, rounds) {
  const row = { scenario: s.name, title: s.title, target: s.target, rounds: rounds.length };
  for (const f of MEDIAN_FIELDS) {
    const m = median(rounds.map((r) => r[f]));
    row[f] = m === undefined ? undefined : round(m, f === 'rps' ? 1 : 3);
  }
  row.max = Math.max(...rounds.map((r) => r.max));
  row.requests = rounds.reduce((a, r) => a + r.requests, 0);
  row.non2xx = rounds.reduce((a, r) => a + r.non2xx, 0);
  row.errors = rounds.reduce((a, r) => a + r.errors, 0);
  row.timeouts = rounds.reduce((a, r) => a + r.timeouts, 0);
  row.rssMb = Math.max(...rounds.map((r) => r.rssMb));
  row.perRound = rounds.map((r) => ({
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    cpuMsPerRequest: r.cpuMsPerRequest,
    dbCpuMsPerRequest: r.dbCpuMsPerRequest,
    foreignCpuPct: r.foreignCpuPct,
    statusCodes: r.statusCodes,
    beside: r.beside,
  }));
  const diag = rounds.find((r) => r.diagnose)?.diagnose;
  if (diag) row.diagnose = diag;
  return row;
}

function find(runs, kind, scale, scenario) {
  return runs.find((r) => r.kind === kind && r.scale === scale)?.results.find((x) => x.scenario === scenario);
}

function summary(runs, opts) {
  const out = {};
  const base = opts.scales[0];
  const top = opts.scales[opts.scales.length - 1];
  for (const kind of opts.kinds) {
    const s = {};
    const put = find(runs, kind, base, 'put');
    const bput = find(runs, kind, base, 'baseline_put');
    if (put && bput) {
      s.putThroughputVsBaseline = round(put.rps / bput.rps);
      s.putP99VsBaseline = round(put.p99 / bput.p99);
      // The same ratios round by round (each round runs the baseline right before the service).
      s.putThroughputVsBaselinePerRound = put.perRound.map((r, i) => round(r.rps / bput.perRound[i]?.rps));
    }
    const beside = find(runs, kind, base, 'put_beside_list');
    if (put && beside) {
      // A round in which no PUT was answered at all (the lists held the process) counts as unbounded.
      s.putP99BesideListPerRound = beside.perRound.map((r, i) =>
        r.rps === 0 ? Infinity : round(r.p99 / put.perRound[i]?.p99),
      );
      const sorted = [...s.putP99BesideListPerRound].sort((a, b) => a - b);
      s.putP99BesideList = sorted[Math.floor((sorted.length - 1) / 2)];
      s.putP99BesideListDetail = beside.perRound.map(
        (r, i) =>
          `${put.perRound[i]?.p99}→${r.p99} ms, lists ${r.beside?.rps} req/s p50 ${r.beside?.p50} ms, ` +
          `other load ${put.perRound[i]?.foreignCpuPct}/${r.foreignCpuPct}%`,
      );
    }
    const bulk = find(runs, kind, base, 'bulk_v0');
    const patch = find(runs, kind, base, 'patch_v0');
    if (bulk && patch) {
      const items = SCENARIOS.find((x) => x.name === 'bulk_v0').itemsPerRequest;
      s.bulkItemsVsPatch = round((bulk.rps * items) / patch.rps);
      s.bulkItemsVsPatchPerRound = bulk.perRound.map((r, i) => round((r.rps * items) / patch.perRound[i]?.rps));
    }
    if (top !== base) {
      for (const name of ['put', 'get', 'list_filter', 'list_page', 'baseline_put', 'baseline_get']) {
        const a = find(runs, kind, base, name);
        const b = find(runs, kind, top, name);
        if (a && b) {
          s[`${name}Scale`] = {
            throughputSlowdown: round(a.rps / b.rps),
            p50Ratio: round(b.p50 / a.p50),
            p99Ratio: round(b.p99 / a.p99),
          };
        }
      }
    }
    const none = find(runs, kind, base, 'put_no_webhook');
    const dead = find(runs, kind, base, 'put_dead_webhook');
    if (none && dead) {
      s.deadWebhookThroughput = round(dead.rps / none.rps);
      s.deadWebhookThroughputPerRound = dead.perRound.map((r, i) => round(r.rps / none.perRound[i]?.rps));
      s.deadWebhookOtherLoad = dead.perRound.map((r, i) => `${none.perRound[i]?.foreignCpuPct}/${r.foreignCpuPct}%`);
      // CPU per PUT without → with the dead endpoint (medians): the cost itself, less swayed by
      // the machine's other load than the throughput is (mariadbd's also counts other clients').
      const cpu = (row, field) => row[field] ?? '–';
      s.deadWebhookCpu =
        `service ${cpu(none, 'cpuMsPerRequest')} → ${cpu(dead, 'cpuMsPerRequest')} ms` +
        (none.dbCpuMsPerRequest !== undefined
          ? `, database ${cpu(none, 'dbCpuMsPerRequest')} → ${cpu(dead, 'dbCpuMsPerRequest')} ms`
          : '');
    }
    const lags = runs.find((r) => r.kind === kind && r.scale === base)?.webhookLag;
    if (lags?.length) {
      s.webhookLag = {
        p50: round(median(lags.map((l) => l.p50))),
        p99: round(median(lags.map((l) => l.p99))),
        events: lags.map((l) => `${l.events}/${l.expected}`),
        otherLoad: lags.map((l) => `${l.foreignCpuPct}%`),
      };
    }
    const list = find(runs, kind, top, 'list_filter');
    if (list) {
      s.listP50AtLargestMs = list.requests > 0 ? list.p50 : null;
      s.listAloneAtLargestMs = list.aloneMs ?? null;
    }
    const all = runs.filter((r) => r.kind === kind);
    s.peakRssMb = round(Math.max(0, ...all.map((r) => r.servicePeakRssMb ?? 0)), 1);
    s.failures = all.flatMap((r) => r.results).reduce((a, x) => a + x.non2xx + x.errors, 0);
    out[kind] = s;
  }
  return out;
}

function verdicts(sum, opts) {
  const lines = [];
  const big = opts.scales[opts.scales.length - 1].toLocaleString('en');
  const small = opts.scales[0].toLocaleString('en');
  const t = TARGETS;
  const check = (ok) => (ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED');
  for (const [kind, s] of Object.entries(sum)) {
    const row = (target, measured, ok) => lines.push(`| ${kind} | ${target} | ${measured} | ${check(ok)} |`);
    if (s.putThroughputVsBaseline !== undefined) {
      row(
        `PUT throughput ≥ ${t.putThroughputVsBaseline}× raw baseline`,
        `${s.putThroughputVsBaseline}× (rounds: ${s.putThroughputVsBaselinePerRound.join(', ')})`,
        s.putThroughputVsBaseline >= t.putThroughputVsBaseline,
      );
      row(
        `PUT p99 ≤ ${t.putP99VsBaseline}× raw baseline p99`,
        `${s.putP99VsBaseline}×`,
        s.putP99VsBaseline <= t.putP99VsBaseline,
      );
    }
    if (s.putP99BesideList !== undefined) {
      row(
        `PUT p99 with slow lists beside it ≤ ${t.putP99BesideList}× PUT p99 alone`,
        `${s.putP99BesideList}× (rounds: ${s.putP99BesideListPerRound.join(', ')}; ${s.putP99BesideListDetail.join('; ')})`.replaceAll(
          'Infinity',
          '∞ (no PUT answered)',
        ),
        s.putP99BesideList <= t.putP99BesideList,
      );
    }
    if (s.bulkItemsVsPatch !== undefined) {
      row(
        `bulk items/s ≥ ${t.bulkItemsVsPatch}× single PATCH req/s`,
        `${s.bulkItemsVsPatch}× (rounds: ${s.bulkItemsVsPatchPerRound.join(', ')})`,
        s.bulkItemsVsPatch >= t.bulkItemsVsPatch,
      );
    }
    for (const name of ['put', 'get']) {
      const sc = s[`${name}Scale`];
      if (!sc) continue;
      // The raw baseline's own slowdown, for scale: what the database alone loses at the larger table.
      const bsc = s[`baseline_${name}Scale`];
      row(
        `${name.toUpperCase()} at ${big} within ${t.scaleSlowdown}× of ${small} (throughput; p50)`,
        `${sc.throughputSlowdown}×; ${sc.p50Ratio}×` +
          (bsc ? ` (raw baseline: ${bsc.throughputSlowdown}×; ${bsc.p50Ratio}×)` : ''),
        Math.max(sc.throughputSlowdown, sc.p50Ratio) <= t.scaleSlowdown,
      );
    }
    if (s.listP50AtLargestMs !== undefined) {
      row(
        `filtered list page p50 at ${big} ≤ ${t.listP50AtLargestMs} ms`,
        `${s.listP50AtLargestMs === null ? 'no response within 30 s' : `${s.listP50AtLargestMs} ms`}` +
          ` (one request alone: ${s.listAloneAtLargestMs ?? '–'} ms)`,
        s.listP50AtLargestMs !== null && s.listP50AtLargestMs <= t.listP50AtLargestMs,
      );
    }
    if (s.deadWebhookThroughput !== undefined) {
      row(
        `PUT throughput with a dead webhook endpoint ≥ ${webhooks.TARGET_DEAD_RATIO}× without`,
        `${s.deadWebhookThroughput}× (rounds: ${s.deadWebhookThroughputPerRound.join(', ')}; ` +
          `other load without/with: ${s.deadWebhookOtherLoad.join(', ')}; CPU per PUT: ${s.deadWebhookCpu})`,
        s.deadWebhookThroughput >= webhooks.TARGET_DEAD_RATIO,
      );
    }
    if (s.webhookLag) {
      row(
        `webhook delivery lag p50 / p99 at ${webhooks.LAG_RATE} PUT/s (reported)`,
        `${s.webhookLag.p50} / ${s.webhookLag.p99} ms (events received: ${s.webhookLag.events.join(', ')}; ` +
          `other load ${s.webhookLag.otherLoad.join(', ')})`,
        undefined,
      );
    }
    row('no errors, no non-2xx', String(s.failures), s.failures === 0);
    row(`service peak RSS ≤ ${t.peakRssMb} MB`, `${s.peakRssMb} MB`, s.peakRssMb <= t.peakRssMb);
  }
  return lines;
}

function markdown(report) {
  const { runs, summary: sum, meta } = report;
  const lines = [];
  lines.push(
    `Benchmark ${meta.startedAt}: ${meta.connections} connections, ${meta.duration} s per scenario ` +
      `(+${meta.warmup} s warm-up), median of ${meta.repeat} round(s), ${meta.cpus} CPUs, node ${meta.node}` +
      ` (service flags: ${meta.nodeFlags.length ? meta.nodeFlags.join(' ') : 'none'})` +
      `${meta.mysqlVersion ? `, MariaDB ${meta.mysqlVersion} (buffer pool ${meta.mysqlBufferPoolMb} MB)` : ''}`,
  );
  lines.push('');
  lines.push(
    '| db | customers | scenario | req/s | p50 ms | p99 ms | alone ms | non-2xx | errors | CPU ms/req server | CPU ms/req db | other load |' +
      (meta.diagnose ? ' stmts/req |' : ''),
  );
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|' + (meta.diagnose ? '---:|' : ''));
  for (const run of runs) {
    for (const r of run.results) {
      lines.push(
        `| ${run.kind} | ${run.scale.toLocaleString('en')} | ${r.title} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.aloneMs ?? ''} | ` +
          `${r.non2xx} | ${r.errors} | ${r.cpuMsPerRequest ?? '–'} | ${r.dbCpuMsPerRequest ?? '–'} | ${r.foreignCpuPct}% |` +
          (meta.diagnose ? ` ${r.diagnose?.statementsPerRequest ?? ''} |` : ''),
      );
    }
  }
  lines.push('');
  lines.push('| db | customers | service peak RSS | seeding |');
  lines.push('|---|---:|---:|---:|');
  for (const run of runs) {
    const seeded = run.seedSeconds === null ? 'reused' : `${run.seedSeconds} s`;
    lines.push(
      `| ${run.kind} | ${run.scale.toLocaleString('en')} | ${run.servicePeakRssMb ?? '–'} MB | ${seeded} |`,
    );
  }
  lines.push('');
  lines.push('| db | target | measured | |');
  lines.push('|---|---|---|---|');
  lines.push(...verdicts(sum, meta));
  return lines.join('\n');
}

/** Compiles the service into a private directory, so a `nest build` elsewhere cannot swap dist/ under us. */
function build() {
  log(`building the service into ${BUILD_DIR}`);
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '-p',
    'tsconfig.build.json',
    '--outDir',
    BUILD_DIR,
    '--incremental',
    'false',
    '--sourceMap',
    'false',
  ];
  const b = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(join(BUILD_DIR, 'src', 'main.js'))) throw new Error('build failed');
  if (b.status !== 0)
    log('tsc reported type errors (above); the JavaScript it emitted is benchmarked anyway');
}

async function benchScale(kind, scale, opts, dirs, meta) {
  const db = await prepareDatabase(kind, scale, opts, dirs.state);
  db.emails = await liveEmails(kind, db.databaseUrl, db.merchant.merchant_id);
  const isBase = scale === opts.scales[0];
  const wanted = SCENARIOS.filter(
    (s) => (isBase || s.atScale === 'all') && (!opts.only || opts.only.has(s.name)),
  );
  const withWebhooks = isBase && opts.webhooks && (!opts.only || opts.only.has('webhooks'));
  const hookScenarios = webhooks.webhookScenarios(SCENARIOS.find((s) => s.name === 'put'));
  const label = `${kind}-${scale}`;
  const local = /@(127\.0\.0\.1|localhost)[:/]/.test(opts.mysqlServer);
  const dbPid = kind === 'mariadb' && local ? await mysqlServerPid(opts.mysqlServer) : undefined;
  const run = {
    kind,
    scale,
    totalCustomers: db.totalCustomers,
    liveIds: db.ids.length,
    seedSeconds: db.seedSeconds,
    results: [],
  };
  const readyPath = `/customer/${db.ids[0]}`;
  const auth = { authorization: `Bearer ${db.merchant.client_secret}` };
  // Both servers stay up for the whole scale, so each round runs the baseline right before the
  // service and both see the same moment of this noisy machine.
  const procs = {};
  try {
    if (wanted.some((s) => s.target === 'baseline')) {
      const secretHash = createHash('sha256').update(db.merchant.client_secret).digest('hex');
      procs.baseline = await startBaseline({
        databaseUrl: db.databaseUrl,
        logDir: dirs.logs,
        label,
        merchant: db.merchant,
        secretHash,
      });
      await procs.baseline.waitReady(readyPath, auth);
    }
    if (withWebhooks || wanted.some((s) => s.target === 'service')) {
      procs.service = await startService({
        databaseUrl: db.databaseUrl,
        logDir: dirs.logs,
        label,
        diagnose: opts.diagnose,
        extraEnv: { ...webhooks.WEBHOOK_ENV, ...opts.extraEnv },
        nodeFlags: opts.nodeFlags,
      });
      await procs.service.waitReady(readyPath, auth);
    }
    const rounds = new Map([...wanted, ...(withWebhooks ? hookScenarios : [])].map((s) => [s.name, []]));
    const hookKey = withWebhooks ? await webhooks.webhookKey(db.databaseUrl, db.merchant.merchant_id) : null;
    if (withWebhooks) run.webhookLag = [];
    for (let n = 1; n <= opts.repeat; n++) {
      log(`${label}: round ${n} of ${opts.repeat}`);
      for (const s of wanted) {
        const where = {
          dbPid,
          label,
          auth,
          settlePath: readyPath,
          profileDir: dirs.profiles,
          diagnose: opts.diagnose && s.target === 'service' && n === 1,
        };
        rounds.get(s.name).push(await runOnce(procs[s.target], s, db, opts, where));
        await sleep(300);
      }
      if (withWebhooks) {
        const where = {
          dbPid,
          label,
          auth,
          settlePath: readyPath,
          profileDir: dirs.profiles,
          diagnose: opts.diagnose && n === 1,
        };
        const r = await webhooks.webhookRound({
          port: procs.service.port,
          db,
          key: hookKey,
          scenarios: hookScenarios,
          runScenario: (s) => runOnce(procs.service, s, db, opts, where),
          duration: opts.duration,
          where: { servicePid: procs.service.child.pid, dbPid },
          log,
        });
        rounds.get('put_no_webhook').push(r.none);
        rounds.get('put_dead_webhook').push(r.dead);
        run.webhookLag.push(r.lag);
        await sleep(300);
      }
    }
    run.results = [...wanted, ...(withWebhooks ? hookScenarios : [])].map((s) => combine(s, rounds.get(s.name)));
  } finally {
    for (const p of Object.values(procs)) await p.stop();
    if (procs.service) run.servicePeakRssMb = round(procs.service.peakRss / 1048576, 1);
    if (procs.baseline) run.baselinePeakRssMb = round(procs.baseline.peakRss / 1048576, 1);
    if (db.dropAfter) await dropDatabase(kind, db, opts);
  }
  meta.runs.push(run);
}

async function main() {
  const opts = options();
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  const resultsDir = join(ROOT, 'bench', 'results');
  const dirs = {
    logs: join(resultsDir, `logs-${stamp}`),
    profiles: join(resultsDir, `profiles-${stamp}`),
    state: join(resultsDir, '.state'),
  };
  for (const d of [resultsDir, dirs.logs, dirs.state, ...(opts.diagnose ? [dirs.profiles] : [])]) {
    mkdirSync(d, { recursive: true });
  }
  if (opts.build || !existsSync(join(BUILD_DIR, 'src', 'main.js'))) build();

  let mysqlVersion;
  let mysqlBufferPoolMb;
  let restoreBufferPool;
  if (opts.kinds.includes('mariadb')) {
    mysqlVersion = (await mysqlAdmin(opts.mysqlServer, 'SELECT VERSION() AS v'))[0].v;
    const before = Number((await mysqlAdmin(opts.mysqlServer, 'SELECT @@innodb_buffer_pool_size AS b'))[0].b);
    if (opts.bufferPoolBytes !== undefined && opts.bufferPoolBytes !== before) {
      // A server setting, changed for this run only (MariaDB resizes the pool online).
      await mysqlAdmin(opts.mysqlServer, `SET GLOBAL innodb_buffer_pool_size = ${opts.bufferPoolBytes}`);
      restoreBufferPool = () =>
        mysqlAdmin(opts.mysqlServer, `SET GLOBAL innodb_buffer_pool_size = ${before}`).then(() =>
          log(`buffer pool restored to ${Math.round(before / 1048576)} MB`),
        );
    }
    const pool = await mysqlAdmin(opts.mysqlServer, 'SELECT @@innodb_buffer_pool_size AS b');
    mysqlBufferPoolMb = Math.round(Number(pool[0].b) / 1048576);
  }
  try {
    await runAll(opts, dirs, resultsDir, stamp, startedAt, mysqlVersion, mysqlBufferPoolMb);
  } finally {
    await restoreBufferPool?.();
  }
}

async function runAll(opts, dirs, resultsDir, stamp, startedAt, mysqlVersion, mysqlBufferPoolMb) {
  const meta = {
    startedAt,
    ...opts,
    only: opts.only ? [...opts.only] : undefined,
    cpus: cpus().length,
    totalMemGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    mysqlVersion,
    mysqlBufferPoolMb,
  };
  const report = { meta, runs: [] };
  const collector = { runs: report.runs };
  for (const kind of opts.kinds) {
    for (const scale of opts.scales) await benchScale(kind, scale, opts, dirs, collector);
  }
  report.finishedAt = new Date().toISOString();
  report.summary = summary(report.runs, opts);
  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  const md = markdown(report);
  writeFileSync(join(resultsDir, `${stamp}.md`), md + '\n');
  process.stdout.write(md + '\n\n');
  log(`results: ${file} (and .md)`);
  const failures = Object.values(report.summary).reduce((a, s) => a + s.failures, 0);
  if (failures > 0) {
    log(`${failures} errors or non-2xx responses`);
    process.exitCode = 1;
  } else if (opts.checkTargets && md.includes('| MISSED |')) {
    log('targets missed (--check-targets)');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  log(`bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
