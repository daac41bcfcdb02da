import { UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source-options';
import { DatabaseService } from '../database/database.service';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthService, IssuedKey } from './auth.service';

/** The API-key cache: fewer database look-ups, and a revocation still lands within the TTL. */
describe('AuthService key cache', () => {
  let ds: DataSource;
  let db: DatabaseService;
  let keys: ApiKeysRepository;

  beforeAll(async () => {
    ds = new DataSource({ ...dataSourceOptions('sqlite::memory:'), migrationsRun: true });
    await ds.initialize();
    db = new DatabaseService(ds);
    keys = new ApiKeysRepository(db);
  });

  afterAll(async () => {
    await ds.destroy();
  });

  afterEach(() => jest.restoreAllMocks());

  function service(ttlMs: number): AuthService {
    return new AuthService(keys, { apiKeyCacheTtlMs: ttlMs } as AppConfig);
  }
  const bearer = (k: IssuedKey) => ({ authorization: `Bearer ${k.client_secret}` });
  const pair = (k: IssuedKey, secret = k.client_secret) => ({
    'x-client-key': k.client_key,
    'x-client-secret': secret,
  });

  it('checks a key in the database once, then from the cache, in either header style', async () => {
    const auth = service(5000);
    const k = await auth.createMerchant('Cache');
    const reads = jest.spyOn(db, 'query');
    const first = await auth.authenticate(bearer(k));
    expect(await auth.authenticate(bearer(k))).toBe(first);
    expect(await auth.authenticate(pair(k))).toBe(first);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(first).toEqual({
      merchantId: k.merchant_id,
      clientKey: k.client_key,
      scopes: new Set(['customers:read', 'customers:write']),
    });
  });

  it('refuses a wrong secret for a cached client_key', async () => {
    const auth = service(5000);
    const k = await auth.createMerchant('Wrong secret');
    await auth.authenticate(pair(k));
    await expect(auth.authenticate(pair(k, `${k.client_secret}x`))).rejects.toThrow(UnauthorizedException);
  });

  it('never caches invalid credentials', async () => {
    const auth = service(5000);
    const reads = jest.spyOn(db, 'query');
    for (let i = 0; i < 2; i++) {
      await expect(auth.authenticate({ authorization: 'Bearer sk_unknown' })).rejects.toThrow(
        'Invalid API credentials',
      );
    }
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('refuses a key revoked through this service at once', async () => {
    const auth = service(5000);
    const k = await auth.createMerchant('Revoked here');
    await auth.authenticate(bearer(k));
    expect(await auth.revokeKey(k.client_key)).toBe(true);
    await expect(auth.authenticate(bearer(k))).rejects.toThrow('Invalid API credentials');
    await expect(auth.authenticate(pair(k))).rejects.toThrow('Invalid API credentials');
  });

  it('refuses a key revoked by another process once the TTL has passed', async () => {
    const auth = service(2000);
    const elsewhere = service(0);
    const k = await auth.createMerchant('Revoked elsewhere');
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    await auth.authenticate(bearer(k));
    await elsewhere.revokeKey(k.client_key);
    clock.mockReturnValue(now + 1999);
    await expect(auth.authenticate(bearer(k))).resolves.toBeDefined();
    clock.mockReturnValue(now + 2000);
    await expect(auth.authenticate(bearer(k))).rejects.toThrow('Invalid API credentials');
  });

  it('asks the database every time when the TTL is 0', async () => {
    const auth = service(0);
    const k = await auth.createMerchant('No cache');
    const reads = jest.spyOn(db, 'query');
    await auth.authenticate(bearer(k));
    await auth.authenticate(bearer(k));
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
