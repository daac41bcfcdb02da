import { loadConfig } from '../config/config';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { newSigningSecret, SecretBox } from './webhook-secrets';
import { PREVIOUS_SECRET_TTL_MS, WebhooksService } from './webhooks.service';

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
