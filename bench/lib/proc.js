'use strict';
/** Starting, watching and stopping the processes under test: the built service and the raw baseline. */
const { spawn } = require('node:child_process');
const { closeSync, openSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const { BUILD_DIR, ROOT, sleep, freePort, memoryOf } = require('./util');

function get(port, path, headers, timeout = 2000) {
  return new Promise((done) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, timeout }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode));
    });
    req.on('error', () => done(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Status and milliseconds of one GET. */
async function timedGet(port, path, headers, timeout) {
  const t0 = process.hrtime.bigint();
  const status = await get(port, path, headers, timeout);
  return { status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/**
 * A child process under test: polls its memory every 200 ms (peak RSS is VmHWM, the kernel's own
 * high-water mark, so nothing between two polls is missed) and can talk over IPC in diagnose mode.
 */
class Proc {
  constructor(child, port, logFile) {
    this.child = child;
    this.port = port;
    this.logFile = logFile;
    this.exited = false;
    this.peakRss = 0;
    this.windowRss = 0;
    this.nextMsg = 1;
    this.pending = new Map();
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = { code, signal };
    });
    child.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        p(msg);
      }
    });
    this.poller = setInterval(() => this.sample(), 200);
  }

  sample() {
    const m = memoryOf(this.child.pid);
    if (!m) return;
    this.peakRss = Math.max(this.peakRss, m.hwm, m.rss);
    this.windowRss = Math.max(this.windowRss, m.rss);
  }

  /** Highest RSS seen since the last call (the peak of one scenario). */
  takeWindowRss() {
    this.sample();
    const v = this.windowRss;
    this.windowRss = 0;
    return v;
  }

  ask(cmd, extra = {}) {
    if (!this.child.send) return Promise.resolve(undefined);
    const id = this.nextMsg++;
    return new Promise((done) => {
      this.pending.set(id, done);
      this.child.send({ id, cmd, ...extra });
    });
  }

  async waitReady(path, headers, timeoutMs = 60000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.exited)
        throw new Error(`process exited early (${JSON.stringify(this.exitInfo)}); see ${this.logFile}`);
      const status = await get(this.port, path, headers);
      if (status === 200) return;
      await sleep(250);
    }
    throw new Error(`not ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  /**
   * Waits until the server answers a cheap request quickly again: requests that autocannon gave up
   * on at the end of a run may still hold the database (a slow list keeps scanning), and the next
   * scenario must not pay for them.
   */
  async settle(path, headers, timeoutMs = 180000) {
    const until = Date.now() + timeoutMs;
    let fast = 0;
    while (Date.now() < until && fast < 2) {
      const r = await timedGet(this.port, path, headers, 30000);
      fast = r.status === 200 && r.ms < 100 ? fast + 1 : 0;
      if (fast < 2) await sleep(200);
    }
  }

  /** Median latency of `n` requests one at a time: the cost of one request with no queue. */
  async alone(path, headers, n = 5) {
    const times = [];
    for (let i = 0; i < n; i++) {
      const r = await timedGet(this.port, path, headers, 60000);
      if (r.status !== 200) return undefined;
      times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    return Math.round(times[Math.floor(n / 2)] * 100) / 100;
  }

  async stop() {
    this.sample();
    clearInterval(this.poller);
    if (!this.exited) {
      this.child.kill('SIGTERM');
      for (let i = 0; i < 100 && !this.exited; i++) await sleep(100);
      if (!this.exited) this.child.kill('SIGKILL');
    }
  }
}

/**
 * The child writes its output straight into the log file: through a pipe, this process (busy
 * driving the load) would drain it late, and the service's synchronous log writes would stall
 * and retry on a full pipe, charging the service CPU it does not spend in production.
 */
function launch(args, env, logFile, ipc) {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd, ...(ipc ? ['ipc'] : [])],
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * The Node.js flags the service runs with, as `npm start` and the Dockerfile set them: a fixed old
 * generation limit makes V8 collect sooner instead of growing a heap that is mostly garbage
 * (README, "Memory").
 */
const SERVICE_NODE_FLAGS = ['--max-old-space-size=384'];

/** The service as built by the bench (bench/results/.build/src/main.js), in production mode, on a free port. */
async function startService({
  databaseUrl,
  logDir,
  label,
  diagnose,
  extraEnv,
  nodeFlags = SERVICE_NODE_FLAGS,
  buildDir = BUILD_DIR,
}) {
  const port = await freePort();
  const logFile = join(logDir, `${label}-service.log`);
  const args = [...nodeFlags];
  if (diagnose) args.push('-r', join(__dirname, 'diagnose-preload.js'));
  args.push(join(buildDir, 'src', 'main.js'));
  const env = {
    NODE_ENV: 'production',
    DEMO_MERCHANT: 'false',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    // One API key drives hundreds of requests a second here, far past the default 600 a minute.
    // The limiter is off unless asked for (--env RATE_LIMIT_PER_MINUTE=…): see bench/README.md.
    RATE_LIMIT_PER_MINUTE: '0',
    ...extraEnv,
  };
  return new Proc(launch(args, env, logFile, diagnose), port, logFile);
}

/** The raw node:http + mysql2/better-sqlite3 baseline. */
async function startBaseline({ databaseUrl, logDir, label, merchant, secretHash }) {
  const port = await freePort();
  const logFile = join(logDir, `${label}-baseline.log`);
  const env = {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    BASELINE_MERCHANT_ID: merchant.merchant_id,
    BASELINE_CLIENT_KEY: merchant.client_key,
    BASELINE_SECRET_HASH: secretHash,
  };
  return new Proc(launch([join(ROOT, 'bench', 'baseline', 'server.js')], env, logFile, false), port, logFile);
}

module.exports = { SERVICE_NODE_FLAGS, startService, startBaseline };
