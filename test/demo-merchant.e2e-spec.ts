/**
 * Outside production, a service started on a database with no merchant creates a demo
 * merchant with every scope and prints its credentials once. Run as a real process, as a new user
 * would start it, with LOG_LEVEL=warn to show the printout does not depend on the log level.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startServiceProcess, ServiceProcess } from './support/service-process';

const SECRET = /client_secret: +(sk_\S+)/;

describe('the demo merchant', () => {
  const files: string[] = [];
  const procs: ServiceProcess[] = [];
  const freshDatabase = () => {
    const file = join(tmpdir(), `mc-demo-${randomUUID()}.sqlite`);
    files.push(file);
    return `sqlite:${file}`;
  };

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const f of files) for (const x of [f, `${f}-wal`, `${f}-shm`]) rmSync(x, { force: true });
  });

  it('is created and printed once outside production, whatever the log level, and its key works', async () => {
    const env = {
      DATABASE_URL: freshDatabase(),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    const first = await startServiceProcess(env);
    procs.push(first);
    const secret = SECRET.exec(first.output())?.[1];
    expect(secret).toMatch(/^sk_\S{43}$/);
    const auth = { Authorization: `Bearer ${secret}` };
    const created = await request(first.url)
      .post('/customer')
      .set(auth)
      .send({ firstname: 'Demo' })
      .expect(200);
    await request(first.url).get(`/customer/${created.body.id}`).set(auth).expect(200);
    expect(await first.stop()).toBe(0);

    // Started again on the same database: nothing new is created or printed; the key still works.
    const second = await startServiceProcess(env);
    procs.push(second);
    expect(second.output()).not.toMatch(SECRET);
    expect(second.output()).not.toContain('No usable API key');
    await request(second.url).get(`/customer/${created.body.id}`).set(auth).expect(200);
  });

  it('is not created in production', async () => {
    const prod = await startServiceProcess({ DATABASE_URL: freshDatabase(), NODE_ENV: 'production' });
    procs.push(prod);
    expect(prod.output()).not.toMatch(SECRET);
    expect(prod.output()).not.toContain('demo merchant');
  });

  it('a production start with no usable key prints the one command that makes one', async () => {
    const prod = await startServiceProcess({
      DATABASE_URL: freshDatabase(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    });
    procs.push(prod);
    expect(prod.output()).toContain(
      'No usable API key (no merchant yet). Make one with (with the same DATABASE_URL):\n' +
        '  npm run -s cli -- merchant:create --name "My shop"\n',
    );
  });
});
