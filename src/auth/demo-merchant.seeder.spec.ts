import { loadConfig } from '../config/config';
import type { AuthService, MerchantSummary } from './auth.service';
import { DemoMerchantSeeder, keyHint } from './demo-merchant.seeder';

const merchant = (id: string, activeKeys: number): MerchantSummary => ({
  merchant_id: id,
  name: id,
  created_at: '2026-01-01T00:00:00.000Z',
  active_keys: activeKeys,
});

describe('keyHint', () => {
  it('makes a merchant on an empty database, else a key for the one merchant, else points at merchant:list', () => {
    expect(keyHint([])).toBe('npm run -s cli -- merchant:create --name "My shop"');
    expect(keyHint([merchant('m1', 0)])).toBe('npm run -s cli -- key:create --merchant m1');
    expect(keyHint([merchant('m1', 0), merchant('m2', 0)])).toMatch(
      /--merchant <merchant_id> .*merchant:list/,
    );
  });
});

describe('DemoMerchantSeeder at start-up', () => {
  let printed: string;
  beforeEach(() => {
    printed = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const run = async (merchants: MerchantSummary[], env: Record<string, string>) => {
    const auth = {
      listMerchants: jest.fn().mockResolvedValue(merchants),
      createMerchant: jest.fn().mockResolvedValue({
        merchant_id: 'demo',
        client_key: 'ck_x',
        client_secret: 'sk_y',
        scopes: ['customers:read'],
      }),
    };
    await new DemoMerchantSeeder(auth as unknown as AuthService, loadConfig(env)).onApplicationBootstrap();
    return auth;
  };

  it('prints nothing when some key is usable', async () => {
    await run([merchant('m1', 0), merchant('m2', 1)], { NODE_ENV: 'production' });
    expect(printed).toBe('');
  });

  it('prints the key:create command when every key is revoked', async () => {
    await run([merchant('m1', 0)], { NODE_ENV: 'development' });
    expect(printed).toContain('No usable API key (every key is revoked)');
    expect(printed).toContain('npm run -s cli -- key:create --merchant m1');
  });

  it('creates and prints the demo merchant on an empty database outside production, and no hint', async () => {
    const auth = await run([], { NODE_ENV: 'development' });
    expect(auth.createMerchant).toHaveBeenCalled();
    expect(printed).toContain('client_secret: sk_y');
    expect(printed).not.toContain('No usable API key');
  });

  it('prints the merchant:create command on an empty database with the demo merchant off', async () => {
    const auth = await run([], { NODE_ENV: 'development', DEMO_MERCHANT: 'false' });
    expect(auth.createMerchant).not.toHaveBeenCalled();
    expect(printed).toContain('merchant:create --name "My shop"');
  });
});
