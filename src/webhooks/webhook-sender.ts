import { lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { hostOf, refusedAddress, TargetRules } from './webhook-targets';

/** What one attempt came to. */
export interface SendOutcome {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** From Retry-After on a 429 or 503, in milliseconds. */
  retryAfterMs: number | null;
}

/** How much of a receiver's answer is read before the connection is dropped. */
export const MAX_RESPONSE_BYTES = 4096;

/** Retry-After as seconds or an HTTP date, in milliseconds from now; null if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * POSTs one webhook. The receiver is untrusted: the host is resolved here and every address is
 * checked before connecting (so a DNS answer that changed since the endpoint was made cannot
 * reach a private address), connecting and answering each have `timeoutMs`, redirects are not
 * followed (a 3xx is a failure like any non-2xx), and at most MAX_RESPONSE_BYTES of the answer
 * are read. Never throws: failures are outcomes.
 */
export function sendWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; rules: TargetRules; signal?: AbortSignal },
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (o: Omit<SendOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, durationMs: elapsed() });
    };
    const fail = (error: string) => finish({ statusCode: null, error, retryAfterMs: null });

    const url = new URL(target);
    const host = hostOf(url);
    if (isIP(host)) {
      const refused = refusedAddress(host, opts.rules);
      if (refused) return fail(`refused target: ${refused}`);
    }
    const lookup = (
      hostname: string,
      options: LookupOptions,
      cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return cb(err, '');
        for (const a of addresses) {
          const refused = refusedAddress(a.address, opts.rules);
          if (refused)
            return cb(Object.assign(new Error(`refused target: ${refused}`), { code: 'EREFUSEDTARGET' }), '');
        }
        if (options.all) cb(null, addresses);
        else cb(null, addresses[0].address, addresses[0].family);
      });
    };

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup,
      agent: false,
      signal: opts.signal,
    });
    // One timer: connecting, then (reset once connected) the whole answer.
    timer = setTimeout(() => {
      req.destroy();
      fail(`no connection within ${opts.timeoutMs} ms`);
    }, opts.timeoutMs);
    req.on('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          req.destroy();
          fail(`no answer within ${opts.timeoutMs} ms`);
        }, opts.timeoutMs);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) return fail('aborted: the worker is shutting down');
      fail(err.message.startsWith('refused target') ? err.message : `${err.code ?? 'error'}: ${err.message}`);
    });
    req.on('response', (res: IncomingMessage) => {
      let read = 0;
      const done = () => {
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 300;
        const retryAfter = res.headers['retry-after'];
        finish({
          statusCode: code,
          error: ok ? null : `HTTP ${code}`,
          retryAfterMs: code === 429 || code === 503 ? parseRetryAfter(retryAfter) : null,
        });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', () => done());
    });
    req.end(body);
  });
}
