#!/usr/bin/env node
'use strict';
/**
 * Paired A/B of two service configurations on SQLite (bench/README.md, "Checkpoints off the main
 * thread"): two services from the bench's last build (bench/results/.build), each on its own copy of
 * the SQLite database a `npm run bench -- --sqlite --no-mysql --reuse` run seeded and kept, loaded in
 * turn with the `put` scenario's request (10 connections). Each pair runs A then B, or B then A, in
 * alternation, so both see the same machine within seconds of each other: on 2 shared cores that
 * noise swings single runs by ±20 %, far more than it moves a ratio of neighbours.
 *
 *   node bench/ab.js [--pairs 6] [--seconds 5] [--a '{"ENV":"value"}'] [--b '{}'] [--dead | --dead-b]
 *                    [--sql-a 'SQL;…'] [--sql-b 'SQL;…'] [--build-a DIR] [--build-b DIR]
 *
 * `--dead` gives each service one v0 webhook endpoint (all events) on a local server that never
 * answers, as `put_dead_webhook` does; `--dead-b` gives it to B only (B/A is then the bench's
 * dead-endpoint ratio, paired). `--sql-a`/`--sql-b` run statements on that side's copy before
 * it starts (a schema experiment: an index dropped or changed, say). `--build-a`/`--build-b` run
 * another build on that side (`tsc -p tsconfig.build.json --outDir DIR` of another checkout).
 * Prints each pair's req/s, CPU and bytes written per PUT, and the median B/A.
 */
const { execFileSync, spawn } = require('node:child_process');
const { copyFileSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const { BUILD_DIR, ROOT, cpuMsOf, freePort, sleep } = require('./lib/util');
const { call } = require('./lib/webhooks');

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    a: { type: 'string', default: '{}' },
    b: { type: 'string', default: '{}' },
    dead: { type: 'boolean', default: false },
    'dead-b': { type: 'boolean', default: false },
    'sql-a': { type: 'string', default: '' },
    'sql-b': { type: 'string', default: '' },
    'build-a': { type: 'string', default: BUILD_DIR },
    'build-b': { type: 'string', default: BUILD_DIR },
  },
});
const STATE = join(ROOT, 'bench', 'results', '.state');
const stateFile = readdirSync(STATE).find((f) => f.startsWith('sqlite-'));
if (!stateFile)
  throw new Error('no kept SQLite database: run `npm run bench -- --sqlite --no-mysql --reuse` first');
const { merchant } = JSON.parse(readFileSync(join(STATE, stateFile), 'utf8'));
const seeded = join(tmpdir(), `${stateFile.slice('sqlite-'.length, -'.json'.length)}.sqlite`);
const BetterSqlite3 = require('better-sqlite3');

async function start(label, extraEnv, deadUrl) {
  const file = join(tmpdir(), `mc-ab-${label}.sqlite`);
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
  copyFileSync(seeded, file);
  const sql = values[`sql-${label}`];
  if (sql) {
    const db = new BetterSqlite3(file);
    db.exec(sql);
    db.close();
  }
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DEMO_MERCHANT: 'false',
    DATABASE_URL: `sqlite:${file}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '0',
    WEBHOOK_SECRET_KEY: 'ef'.repeat(32),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    ...extraEnv,
  };
  const build = values[`build-${label}`];
  const cli = join(build, 'src', 'cli.js');
  const scopes = 'customers:read customers:write webhooks:read webhooks:write';
  const out = execFileSync(
    process.execPath,
    [cli, 'key:create', '--merchant', merchant.merchant_id, '--scopes', scopes, '--json'],
    { env },
  );
  const key = JSON.parse(out.toString().trim().split('\n').pop());
  const child = spawn(process.execPath, ['--max-old-space-size=384', join(build, 'src', 'main.js')], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    if (
      await call(port, 'GET', '/health/ready', {}).then(
        () => true,
        () => false,
      )
    )
      break;
    await sleep(200);
  }
  if (deadUrl) {
    const headers = { 'x-client-key': key.client_key, 'x-client-secret': key.client_secret };
    await call(port, 'POST', '/api/v0/webhooks', headers, { url: deadUrl });
  }
  return { label, child, port, file };
}

/**
 * Bytes the process has written through system calls (Linux: `wchar` of /proc/<pid>/io): the WAL's
 * frames, the checkpoints' copies and the responses; divided by the PUTs, what one write costs in I/O.
 */
function writtenBytesOf(pid) {
  const line = readFileSync(`/proc/${pid}/io`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('wchar:'));
  return Number(line.split(/\s+/)[1]);
}

function put(port, ids, seconds) {
  let n = 0;
  const request = {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.client_secret}` },
    setupRequest: (req) => {
      req.path = `/customer/${ids[Math.floor(Math.random() * ids.length)]}`;
      req.body = JSON.stringify({ firstname: `AB ${n++}` });
      return req;
    },
  };
  return new Promise((resolve, reject) =>
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: 10, duration: seconds, requests: [request] },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

async function main() {
  const db = new BetterSqlite3(seeded, { readonly: true });
  const ids = db
    .prepare('SELECT id FROM customers WHERE merchant_id = ? AND deleted_at IS NULL')
    .all(merchant.merchant_id)
    .map((r) => r.id);
  db.close();
  const hold = http.createServer(() => undefined);
  await new Promise((r) => hold.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${hold.address().port}/hook`;
  const services = [
    await start('a', JSON.parse(values.a), values.dead ? deadUrl : undefined),
    await start('b', JSON.parse(values.b), values.dead || values['dead-b'] ? deadUrl : undefined),
  ];
  try {
    for (const s of services) await put(s.port, ids, 3); // warm-up
    const ratios = [];
    for (let p = 0; p < Number(values.pairs); p++) {
      const rps = {};
      for (const s of p % 2 ? [...services].reverse() : services) {
        const cpu0 = cpuMsOf(s.child.pid);
        const written0 = writtenBytesOf(s.child.pid);
        const res = await put(s.port, ids, Number(values.seconds));
        rps[s.label] = res.requests.average;
        const cpu = (cpuMsOf(s.child.pid) - cpu0) / res.requests.total;
        const kib = (writtenBytesOf(s.child.pid) - written0) / 1024 / res.requests.total;
        process.stdout.write(
          `${s.label.toUpperCase()} ${res.requests.average} req/s, ${cpu.toFixed(3)} ms CPU/PUT, ` +
            `${kib.toFixed(1)} KiB written/PUT, non-2xx ${res.non2xx}; `,
        );
      }
      ratios.push(rps.b / rps.a);
      console.log(`B/A ${(rps.b / rps.a).toFixed(2)}`);
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    console.log(
      `median B/A ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
  } finally {
    for (const s of services) {
      s.child.kill();
      await new Promise((r) => s.child.once('exit', r));
      for (const x of ['', '-wal', '-shm']) rmSync(s.file + x, { force: true });
    }
    hold.closeAllConnections();
    hold.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
