'use strict';
/**
 * Loaded into the service with `node -r` only by `npm run bench -- --diagnose`. It counts the
 * statements the service sends to the database driver (mysql2 queries, better-sqlite3 statement
 * runs) and records a V8 CPU profile per scenario (the same .cpuprofile that --cpu-prof writes,
 * but started and stopped around each scenario). The bench drives it over the IPC channel.
 */
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

let statements = 0;
const byText = new Map();

function count(sql) {
  statements++;
  if (typeof sql === 'object' && sql !== null) sql = sql.sql;
  if (typeof sql !== 'string') return;
  const key = sql.replace(/\s+/g, ' ').slice(0, 90);
  byText.set(key, (byText.get(key) ?? 0) + 1);
}

try {
  // mysql2's package exports hide lib/: load the file by path, the same module instance.
  const dir = require('node:path').dirname(require.resolve('mysql2'));
  const BaseConnection = require(require('node:path').join(dir, 'lib', 'base', 'connection.js'));
  const query = BaseConnection.prototype.query;
  BaseConnection.prototype.query = function (sql, ...rest) {
    count(sql);
    return query.call(this, sql, ...rest);
  };
} catch {
  // mysql2 not installed: nothing to count there
}

try {
  const Database = require('better-sqlite3');
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const fn = proto[name];
    proto[name] = function (...args) {
      count(this.source);
      return fn.apply(this, args);
    };
  }
} catch {
  // better-sqlite3 not installed
}

const session = new inspector.Session();
session.connect();
const post = (method, params) =>
  new Promise((done, fail) =>
    session.post(method, params ?? {}, (err, res) => (err ? fail(err) : done(res))),
  );

process.on('message', (msg) => {
  const reply = (body) => process.send?.({ id: msg.id, ...body });
  (async () => {
    switch (msg.cmd) {
      case 'stats':
        return reply({ statements, byText: Object.fromEntries(byText) });
      case 'memory':
        return reply({
          memory: Object.fromEntries(
            Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)]),
          ),
        });
      case 'reset':
        statements = 0;
        byText.clear();
        return reply({ ok: true });
      case 'profile-start':
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 200 });
        await post('Profiler.start');
        return reply({ ok: true });
      case 'profile-stop': {
        const { profile } = await post('Profiler.stop');
        writeFileSync(msg.file, JSON.stringify(profile));
        return reply({ ok: true });
      }
      default:
        return reply({ error: `unknown ${msg.cmd}` });
    }
  })().catch((err) => reply({ error: String(err) }));
});
// The IPC channel must not keep the process alive on shutdown.
process.channel?.unref();
