'use strict';
const { readFileSync } = require('node:fs');
const net = require('node:net');
const { resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');
/** Where the bench compiles the service (gitignored with the results). */
const BUILD_DIR = resolve(ROOT, 'bench', 'results', '.build');

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((done, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

/** VmRSS and VmHWM (peak resident set) of a process, in bytes; undefined once it is gone. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms; undefined once it is gone. */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine so far (all cores, user + system + irq), in ms. */
function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = f;
  return ((user + nice + system + irq + softirq) * 1000) / TICKS_PER_SECOND;
}

/** The pid of the local MariaDB/MySQL server, if it runs on this machine. */
function databaseServerPid() {
  const { readdirSync } = require('node:fs');
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Exact percentile (nearest rank) of a sorted Float64Array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function round(n, digits = 2) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

module.exports = {
  BUILD_DIR,
  ROOT,
  sleep,
  freePort,
  memoryOf,
  cpuMsOf,
  machineBusyMs,
  databaseServerPid,
  percentile,
  median,
  round,
};
