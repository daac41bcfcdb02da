import { getMaxListeners } from 'node:events';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../config/config';
import { newSigningSecret, SecretBox } from './webhook-secrets';
import { deliveryHeaders, retryDelayMs, WebhookWorker } from './webhook-worker';

describe('retry schedule', () => {
  it('doubles from the base, caps at an hour, and jitters by at most 20%', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5000, mid))).toEqual([5000, 10000, 20000, 40000]);
    expect(retryDelayMs(40, 5000, mid)).toBe(3_600_000);
    expect(retryDelayMs(1, 5000, () => 0)).toBe(4000);
    expect(retryDelayMs(1, 5000, () => 0.999999)).toBe(6000);
  });

  it('keeps retrying for more than 24 hours with the default base', () => {
    let total = 0;
    let attempts = 0;
    while (total < 24 * 3_600_000) total += retryDelayMs(++attempts, 5000, () => 0.5);
    // The first retry within seconds, then about 35 in the first day: not a retry storm.
    expect(retryDelayMs(1, 5000, () => 0.5)).toBe(5000);
    expect(attempts).toBeLessThan(40);
  });
});

describe('delivery headers', () => {
  const d = {
    event_id: 'e1b5d1f4-6a55-4e61-9d4c-7c3b6a0f1b1e',
    event_type: 'update_customer',
    payload: '{"id":"x"}',
  };

  it('sign as Standard Webhooks says, once per secret, and name the Stax event', () => {
    const [a, b] = [newSigningSecret(), newSigningSecret()];
    const at = new Date();
    const headers = deliveryHeaders(d, 'stax', [a, b], at);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': d.event_id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'stax-event-name': 'update_customer',
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [a, b]) expect(new Webhook(secret).verify(d.payload, headers)).toEqual({ id: 'x' });
    expect(deliveryHeaders(d, 'v0', [a], at)).not.toHaveProperty('stax-event-name');
  });
});

describe('secret box', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));

  it('opens what it sealed for the same endpoint only, and never stores the secret in the clear', () => {
    const secret = newSigningSecret();
    const sealed = box.seal(secret, 'endpoint-a');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed, 'endpoint-a')).toBe(secret);
    expect(() => box.open(sealed, 'endpoint-b')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'endpoint-a')).toThrow();
    expect(box.seal(secret, 'endpoint-a')).not.toBe(sealed);
  });
});

describe('the worker’s abort signal', () => {
  it('takes a listener from every attempt in flight without Node warning of a leak', () => {
    const none = {} as never;
    const worker = new WebhookWorker(none, none, none, none, loadConfig({ WEBHOOK_CONCURRENCY: '40' }));
    const signal = (worker as unknown as { abort: AbortController }).abort.signal;
    expect(getMaxListeners(signal)).toBeGreaterThanOrEqual(40);
  });
});
