import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRetryAfter, sendWebhook } from './webhook-sender';
import { checkTarget, refusedAddress, urlProblem } from './webhook-targets';

const strict = { allowPrivate: false, allowHttp: true };

describe('webhook targets', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
  ])('refuses %s', (address) => {
    expect(refusedAddress(address, strict)).toMatch(/is a|not an IP/);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(refusedAddress(address, strict)).toBeNull();
  });

  it('allows anything with allowPrivate', () => {
    expect(refusedAddress('127.0.0.1', { allowPrivate: true, allowHttp: true })).toBeNull();
  });

  it('checks the URL shape, and https only when http is not allowed', () => {
    expect(urlProblem('https://example.com/hook', strict).url).toBeDefined();
    expect(urlProblem('http://example.com/hook', { allowPrivate: false, allowHttp: false }).problem).toBe(
      'must use https',
    );
    expect(urlProblem('javascript:alert(1)', strict).problem).toBe('must be an http or https URL');
    expect(urlProblem('/relative', strict).problem).toBe('must be an absolute http or https URL');
    expect(urlProblem(`https://example.com/${'a'.repeat(2048)}`, strict).problem).toMatch(/at most 2048/);
  });

  it('refuses a host that resolves to a private address, literal or by name', async () => {
    expect(await checkTarget(new URL('http://127.0.0.1:9/x'), strict)).toMatch(/loopback/);
    expect(await checkTarget(new URL('http://[::1]/x'), strict)).toMatch(/loopback/);
    expect(await checkTarget(new URL('http://localhost/x'), strict)).toMatch(
      /localhost resolves to a refused address/,
    );
    expect(await checkTarget(new URL('http://169.254.169.254/latest/meta-data'), strict)).toMatch(
      /linkLocal/,
    );
    expect(await checkTarget(new URL('http://no-such-host.invalid/x'), strict)).toMatch(/does not resolve/);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  describe('sending', () => {
    let server: Server;
    let port: number;
    let hits = 0;
    let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end('ok');
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits++;
        req.resume();
        answer(res);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    beforeEach(() => {
      hits = 0;
      answer = (res) => res.end('ok');
    });

    const send = (url: string, allowPrivate: boolean) =>
      sendWebhook(url, { 'content-type': 'application/json' }, '{}', {
        timeoutMs: 300,
        rules: { allowPrivate, allowHttp: true },
      });

    it('checks the address again at delivery, by literal and by name, and connects to nothing refused', async () => {
      const literal = await send(`http://127.0.0.1:${port}/x`, false);
      const named = await send(`http://localhost:${port}/x`, false);
      expect(literal).toMatchObject({
        statusCode: null,
        error: expect.stringMatching(/^refused target: .*loopback/),
      });
      expect(named).toMatchObject({
        statusCode: null,
        error: expect.stringMatching(/^refused target: .*loopback/),
      });
      expect(hits).toBe(0);
      expect(await send(`http://localhost:${port}/x`, true)).toMatchObject({ statusCode: 200, error: null });
      expect(hits).toBe(1);
    });

    it('does not follow redirects', async () => {
      answer = (res) => res.writeHead(302, { Location: `http://127.0.0.1:${port}/elsewhere` }).end();
      expect(await send(`http://127.0.0.1:${port}/x`, true)).toMatchObject({
        statusCode: 302,
        error: 'HTTP 302',
      });
      expect(hits).toBe(1);
    });

    it('reads at most a few KiB of an endless answer, and times out a silent one', async () => {
      answer = (res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        pump();
      };
      expect(await send(`http://127.0.0.1:${port}/x`, true)).toMatchObject({ statusCode: 200, error: null });
      answer = () => undefined;
      const silent = await send(`http://127.0.0.1:${port}/x`, true);
      expect(silent).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
      expect(silent.durationMs).toBeLessThan(1000);
    });
  });
});
