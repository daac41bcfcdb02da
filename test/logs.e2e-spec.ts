import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../src/database/data-source-options';
import { ServiceProcess, startServiceProcess } from './support/service-process';

/** Polls the process's output every 50 ms until `pattern` shows; fails after `timeoutMs`. */
async function waitForOutput(svc: ServiceProcess, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(svc.output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the output:\n${svc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('logs of the service as a process', () => {
  const file = join(tmpdir(), `mc-logs-${randomUUID()}.sqlite`);
  const procs: ServiceProcess[] = [];

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });

  it('pretty logs piped to a file: no colour codes, each migration applied named once, probes not logged, a last line at shutdown', async () => {
    const svc = await startServiceProcess({
      NODE_ENV: 'development',
      DEMO_MERCHANT: 'false',
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'info',
      DATABASE_URL: `sqlite:${file}`,
    });
    procs.push(svc);
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect((await fetch(svc.url + path)).ok).toBe(true);
    // A request that is logged, after the probes: once its line is out, theirs would be too.
    expect((await fetch(`${svc.url}/customer`)).status).toBe(401);
    await waitForOutput(svc, /"url":"\/customer"/);

    expect(await svc.stop('SIGTERM')).toBe(0);
    const out = svc.output();
    expect(out).not.toContain('\x1b[');
    for (const m of MIGRATIONS) {
      expect(out.split(`Applied migration ${m.name}`)).toHaveLength(2);
    }
    expect(out).not.toMatch(/\/health\/|\/metrics/);
    const lines = out.split('\n').filter((l) => l.trim() !== '');
    expect(lines[lines.length - 1]).toMatch(/\[Bootstrap\] Shutdown complete$/);
  });

  it('on a migrated database applies nothing, and logs probes at debug level', async () => {
    const svc = await startServiceProcess({ LOG_LEVEL: 'debug', DATABASE_URL: `sqlite:${file}` });
    procs.push(svc);
    await fetch(`${svc.url}/health/ready`);
    await waitForOutput(svc, /"url":"\/health\/ready"/);
    const probe = svc
      .output()
      .split('\n')
      .find((l) => l.includes('"url":"/health/ready"'));
    expect(JSON.parse(probe!)).toMatchObject({ level: 20, msg: 'request completed' });
    expect(svc.output()).not.toContain('Applied migration');
  });
});
