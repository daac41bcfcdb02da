/**
 * A webhook receiver for the tests: a node:http server on 127.0.0.1 (port 0) that records every
 * request and answers as the test says (a status, headers, a hang, a dropped connection).
 */
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  at: number;
  path: string;
}

/**
 * How to answer one request: a status (with headers, after `delayMs`), or 'hang' (never answer), or
 * 'drop' (close the socket).
 */
export type Answer =
  number | { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang' | 'drop';

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides each answer; 200 unless set. */
  answer: (r: Received, index: number) => Answer;
  /** Resolves once `predicate` holds for the received list; rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const waiters: (() => void)[] = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: () => 200,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(receiver.received)) {
            clearTimeout(timer);
            resolve(receiver.received);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          reject(
            new Error(
              `receiver: condition not met within ${timeoutMs} ms (${receiver.received.length} received)`,
            ),
          );
        }, timeoutMs);
        const waiter = () => {
          if (!check()) waiters.push(waiter);
        };
        waiter();
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // not JSON: the test looks at body
      }
      const r: Received = { headers: req.headers, body, json, at: Date.now(), path: req.url ?? '' };
      const index = receiver.received.length;
      receiver.received.push(r);
      const answer = receiver.answer(r, index);
      if (answer === 'hang') hanging.add(res);
      else if (answer === 'drop') res.socket?.destroy();
      else {
        const { status, headers, delayMs } =
          typeof answer === 'number' ? { status: answer, headers: {}, delayMs: 0 } : answer;
        if (delayMs) {
          hanging.add(res);
          setTimeout(() => {
            hanging.delete(res);
            if (!res.destroyed) res.writeHead(status, headers).end('ok');
          }, delayMs).unref();
        } else res.writeHead(status, headers).end('ok');
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
