import { loadConfig } from '../config/config';
import type { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { newSigningSecret, SecretBox } from './webhook-secrets';
import { PREVIOUS_SECRET_TTL_MS, shownDelivery, WebhooksService } from './webhooks.service';

/** The service with no database: only its signing rules are exercised here. */
function service(): WebhooksService {
  const none = {} as never;
  return new WebhooksService(none, none, none, none, none, loadConfig({}));
}

describe('signing secrets after a rotation', () => {
  const webhooks = service();
  const box = (webhooks as unknown as { box: { seal(s: string, id: string): string } }).box;
  const [current, previous] = [newSigningSecret(), newSigningSecret()];
  const rotatedAt = new Date('2026-01-01T00:00:00Z');
  const endpoint = {
    id: 'a6b1f1c2-0000-4000-8000-000000000001',
    secret: box.seal(current, 'a6b1f1c2-0000-4000-8000-000000000001'),
    previous_secret: box.seal(previous, 'a6b1f1c2-0000-4000-8000-000000000001'),
    previous_secret_until: new Date(rotatedAt.getTime() + PREVIOUS_SECRET_TTL_MS),
  } as WebhookEndpoint;

  it('are the new and the old one for 24 hours, then the new one alone', () => {
    expect(PREVIOUS_SECRET_TTL_MS).toBe(24 * 60 * 60 * 1000);
    expect(webhooks.signingSecrets(endpoint, new Date(rotatedAt.getTime() + 1000))).toEqual([
      current,
      previous,
    ]);
    expect(
      webhooks.signingSecrets(endpoint, new Date(rotatedAt.getTime() + PREVIOUS_SECRET_TTL_MS - 1)),
    ).toEqual([current, previous]);
    expect(webhooks.signingSecrets(endpoint, new Date(rotatedAt.getTime() + PREVIOUS_SECRET_TTL_MS))).toEqual(
      [current],
    );
  });

  it('leaves out a previous secret sealed under another WEBHOOK_SECRET_KEY', () => {
    const other = new SecretBox(Buffer.alloc(32, 9)).seal(previous, endpoint.id);
    const signing = webhooks.signingSecrets({ ...endpoint, previous_secret: other }, rotatedAt);
    expect(signing).toEqual([current]);
  });

  it('is refused in production without WEBHOOK_SECRET_KEY', () => {
    const none = {} as never;
    const off = new WebhooksService(none, none, none, none, none, loadConfig({ NODE_ENV: 'production' }));
    expect(off.configured).toBe(false);
    expect(() => off.signingSecrets(endpoint, rotatedAt)).toThrow(/WEBHOOK_SECRET_KEY is not set/);
  });
});

describe('a delivery as the listing shows it', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const queued = new Date(now.getTime() - 60_000);
  const pending = { status: 'pending', next_attempt_at: queued } as WebhookDelivery;
  const endpoint = (fields: Partial<WebhookEndpoint>) =>
    ({ disabled_at: null, paused_until: null, ...fields }) as WebhookEndpoint;

  it('is held, with no next attempt, while its endpoint is disabled', () => {
    expect(shownDelivery(pending, endpoint({ disabled_at: queued }), now)).toMatchObject({
      status: 'held',
      next_attempt_at: null,
    });
  });

  it('is due at the end of its endpoint’s pause, and as stored once the pause is over', () => {
    const until = new Date(now.getTime() + 5_000);
    expect(shownDelivery(pending, endpoint({ paused_until: until }), now).next_attempt_at).toEqual(until);
    const later = new Date(until.getTime() + 1);
    expect(shownDelivery(pending, endpoint({ paused_until: until }), later)).toBe(pending);
  });

  it('is as stored once delivered or failed, whatever the endpoint’s state', () => {
    const done = { status: 'delivered', next_attempt_at: null } as WebhookDelivery;
    expect(shownDelivery(done, endpoint({ disabled_at: queued }), now)).toBe(done);
  });
});
