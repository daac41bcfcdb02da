import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiKey } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import { DatabaseService } from '../database/database.service';
import type { DataSource } from 'typeorm';
import { DEFAULT_SCOPES, Principal, SCOPES } from './principal';

export interface IssuedKey {
  merchant_id: string;
  client_key: string;
  client_secret: string;
  scopes: string[];
}

export interface KeySummary {
  client_key: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
}

export interface MerchantSummary {
  merchant_id: string;
  name: string;
  created_at: string;
  /** Keys not revoked. */
  active_keys: number;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export const MISSING_CREDENTIALS = 'Missing API credentials';
/** Half a v0 key pair: missing (the other half), not invalid; it says nothing about the half sent. */
export const MISSING_CLIENT_SECRET = 'Missing API credentials: x-client-key needs x-client-secret';
export const MISSING_CLIENT_KEY = 'Missing API credentials: x-client-secret needs x-client-key';

const MAX_CREDENTIAL_LENGTH = 256;
/** Bounds the key cache; past it the oldest entries go first. */
const MAX_CACHED_KEYS = 10_000;

interface CachedKey {
  principal: Principal;
  clientKey: string;
  secretHash: string;
  expiresAt: number;
}

/** Merchants and their API keys: issuing, listing, revoking and checking credentials. */
@Injectable()
export class AuthService {
  /**
   * Valid, unrevoked keys checked in the last `cacheTtlMs`, by `h:<secret hash>` (Bearer) and
   * `k:<client_key>` (key pair), so a busy client is not looked up in the database on every
   * request. Invalid credentials are never cached. A revocation through this service drops the
   * key at once; one made by another process (the CLI, another instance) is seen within the TTL.
   */
  private readonly cache = new Map<string, CachedKey>();
  private readonly cacheTtlMs: number;

  constructor(
    private readonly keys: ApiKeysRepository,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.cacheTtlMs = config?.apiKeyCacheTtlMs ?? 0;
  }

  /** The service over a data source outside the application (the CLI, tests), without a key cache. */
  static over(dataSource: DataSource): AuthService {
    return new AuthService(new ApiKeysRepository(new DatabaseService(dataSource)));
  }

  /**
   * Checks either header style. Errors say only "missing" or "invalid", never which part was wrong.
   * Secrets are random 256-bit values, so a SHA-256 digest is a safe and indexable verifier.
   */
  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const authorization = headers['authorization'];
    const clientKey = headers['x-client-key'];
    const clientSecret = headers['x-client-secret'];
    if (authorization === undefined && clientKey === undefined && clientSecret === undefined) {
      throw new UnauthorizedException(MISSING_CREDENTIALS);
    }
    const invalid = () => new UnauthorizedException('Invalid API credentials');

    let key: ApiKey | null;
    if (clientKey !== undefined || clientSecret !== undefined) {
      if (authorization === undefined && !clientSecret)
        throw new UnauthorizedException(MISSING_CLIENT_SECRET);
      if (authorization === undefined && !clientKey) throw new UnauthorizedException(MISSING_CLIENT_KEY);
      if (typeof clientKey !== 'string' || typeof clientSecret !== 'string') throw invalid();
      if (clientKey.length > MAX_CREDENTIAL_LENGTH || clientSecret.length > MAX_CREDENTIAL_LENGTH)
        throw invalid();
      const given = Buffer.from(hashSecret(clientSecret), 'hex');
      const cached = this.cached(`k:${clientKey}`);
      if (cached) {
        if (!timingSafeEqual(given, Buffer.from(cached.secretHash, 'hex'))) throw invalid();
        return cached.principal;
      }
      key = await this.keys.findByClientKey(clientKey);
      // Compare even when the key is unknown, so timing does not tell which part was wrong.
      const stored = Buffer.from(key?.secret_hash ?? '0'.repeat(64), 'hex');
      if (!key || !timingSafeEqual(given, stored)) throw invalid();
    } else {
      const m = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
      if (!m || m[1].length > MAX_CREDENTIAL_LENGTH) throw invalid();
      const hash = hashSecret(m[1]);
      const cached = this.cached(`h:${hash}`);
      if (cached) return cached.principal;
      key = await this.keys.findBySecretHash(hash);
      if (!key) throw invalid();
    }
    if (key.revoked_at) throw invalid();
    const principal: Principal = {
      merchantId: key.merchant_id,
      clientKey: key.client_key,
      scopes: new Set(key.scopes.split(' ')),
    };
    this.remember(key, principal);
    return principal;
  }

  private cached(cacheKey: string): CachedKey | undefined {
    const entry = this.cache.get(cacheKey);
    if (entry && entry.expiresAt <= Date.now()) {
      this.forget(entry.clientKey, entry.secretHash);
      return undefined;
    }
    return entry;
  }

  private remember(key: ApiKey, principal: Principal): void {
    if (this.cacheTtlMs <= 0) return;
    const entry = {
      principal,
      clientKey: key.client_key,
      secretHash: key.secret_hash,
      expiresAt: Date.now() + this.cacheTtlMs,
    };
    // Maps iterate in insertion order: drop the oldest entries to stay within the bound.
    for (const oldest of this.cache.keys()) {
      if (this.cache.size < MAX_CACHED_KEYS * 2) break;
      this.cache.delete(oldest);
    }
    this.cache.set(`k:${key.client_key}`, entry);
    this.cache.set(`h:${key.secret_hash}`, entry);
  }

  private forget(clientKey: string, secretHash: string): void {
    this.cache.delete(`k:${clientKey}`);
    this.cache.delete(`h:${secretHash}`);
  }

  async createMerchant(name: string, scopes: string[] = DEFAULT_SCOPES): Promise<IssuedKey> {
    if (!name.trim() || name.length > 255)
      throw new BadRequestException('Merchant name must be 1-255 characters');
    const merchant = { id: randomUUID(), name: name.trim(), created_at: new Date() };
    const { key, issued } = newKey(merchant.id, scopes);
    await this.keys.insertKey(key, merchant);
    return issued;
  }

  async createKey(merchantId: string, scopes: string[] = DEFAULT_SCOPES): Promise<IssuedKey> {
    const { key, issued } = newKey(merchantId, scopes);
    if ((await this.keys.insertKey(key)) === 'no-merchant')
      throw new NotFoundException(`No merchant ${merchantId}`);
    return issued;
  }

  async listKeys(merchantId: string): Promise<KeySummary[]> {
    const keys = await this.keys.listKeys(merchantId);
    return keys.map((k) => ({
      client_key: k.client_key,
      scopes: k.scopes.split(' '),
      created_at: k.created_at.toISOString(),
      revoked_at: k.revoked_at ? k.revoked_at.toISOString() : null,
    }));
  }

  /**
   * Revokes a key. This process refuses it from the next request on; other processes (other
   * instances, or the service when the CLI revokes) within API_KEY_CACHE_TTL_MS. False if no such key.
   */
  async revokeKey(clientKey: string): Promise<boolean> {
    const key = await this.keys.revoke(clientKey, new Date());
    if (!key) return false;
    // After the commit: a check that reads the key from now on sees it revoked (one that read it
    // just before may keep it, for the TTL at most).
    this.forget(key.client_key, key.secret_hash);
    return true;
  }

  /** Every merchant, oldest first, with how many of its keys are not revoked. */
  async listMerchants(): Promise<MerchantSummary[]> {
    const [merchants, active] = await Promise.all([
      this.keys.listMerchants(),
      this.keys.countActiveKeysByMerchant(),
    ]);
    return merchants.map((m) => ({
      merchant_id: m.id,
      name: m.name,
      created_at: m.created_at.toISOString(),
      active_keys: active.get(m.id) ?? 0,
    }));
  }

  merchantExists(merchantId: string): Promise<boolean> {
    return this.keys.merchantExists(merchantId);
  }

  async hasAnyMerchant(): Promise<boolean> {
    return this.keys.hasAnyMerchant();
  }
}

/** A new key with random credentials; the secret is kept only as its hash. */
function newKey(merchantId: string, scopes: string[]): { key: ApiKey; issued: IssuedKey } {
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length || scopes.length === 0) {
    throw new BadRequestException(`Unknown scope ${unknown.join(', ')}; scopes are: ${SCOPES.join(', ')}`);
  }
  const unique = [...new Set(scopes)];
  const clientKey = `ck_${randomBytes(12).toString('hex')}`;
  const clientSecret = `sk_${randomBytes(32).toString('base64url')}`;
  const key: ApiKey = {
    id: randomUUID(),
    merchant_id: merchantId,
    client_key: clientKey,
    secret_hash: hashSecret(clientSecret),
    scopes: unique.join(' '),
    created_at: new Date(),
    revoked_at: null,
  };
  return {
    key,
    issued: { merchant_id: merchantId, client_key: clientKey, client_secret: clientSecret, scopes: unique },
  };
}
