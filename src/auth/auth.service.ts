import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BadRequestException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { ApiKey } from './api-key.entity';
import { Merchant } from './merchant.entity';
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

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const MAX_CREDENTIAL_LENGTH = 256;

/** Merchants and their API keys: issuing, listing, revoking and checking credentials. */
@Injectable()
export class AuthService {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Checks either header style. Errors say only "missing" or "invalid", never which part was wrong.
   * Secrets are random 256-bit values, so a SHA-256 digest is a safe and indexable verifier.
   */
  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const authorization = headers['authorization'];
    const clientKey = headers['x-client-key'];
    const clientSecret = headers['x-client-secret'];
    if (authorization === undefined && clientKey === undefined && clientSecret === undefined) {
      throw new UnauthorizedException('Missing API credentials');
    }
    const invalid = () => new UnauthorizedException('Invalid API credentials');

    let key: ApiKey | null;
    if (clientKey !== undefined || clientSecret !== undefined) {
      if (typeof clientKey !== 'string' || typeof clientSecret !== 'string') throw invalid();
      if (clientKey.length > MAX_CREDENTIAL_LENGTH || clientSecret.length > MAX_CREDENTIAL_LENGTH)
        throw invalid();
      key = await this.db.read((em) => em.findOne(ApiKey, { where: { client_key: clientKey } }));
      const given = Buffer.from(hashSecret(clientSecret), 'hex');
      // Compare even when the key is unknown, so timing does not tell which part was wrong.
      const stored = Buffer.from(key?.secret_hash ?? '0'.repeat(64), 'hex');
      if (!key || !timingSafeEqual(given, stored)) throw invalid();
    } else {
      const m = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
      if (!m || m[1].length > MAX_CREDENTIAL_LENGTH) throw invalid();
      const hash = hashSecret(m[1]);
      key = await this.db.read((em) => em.findOne(ApiKey, { where: { secret_hash: hash } }));
      if (!key) throw invalid();
    }
    if (key.revoked_at) throw invalid();
    return { merchantId: key.merchant_id, clientKey: key.client_key, scopes: new Set(key.scopes.split(' ')) };
  }

  async createMerchant(name: string, scopes: string[] = DEFAULT_SCOPES): Promise<IssuedKey> {
    if (!name.trim() || name.length > 255)
      throw new BadRequestException('Merchant name must be 1-255 characters');
    const merchant = { id: randomUUID(), name: name.trim(), created_at: new Date() };
    return this.db.transaction(async (em) => {
      await em.insert(Merchant, merchant);
      return this.insertKey(em.getRepository(ApiKey), merchant.id, scopes);
    });
  }

  async createKey(merchantId: string, scopes: string[] = DEFAULT_SCOPES): Promise<IssuedKey> {
    return this.db.transaction(async (em) => {
      const merchant = await em.findOne(Merchant, { where: { id: merchantId } });
      if (!merchant) throw new NotFoundException(`No merchant ${merchantId}`);
      return this.insertKey(em.getRepository(ApiKey), merchantId, scopes);
    });
  }

  async listKeys(merchantId: string): Promise<KeySummary[]> {
    const keys = await this.db.read((em) =>
      em.find(ApiKey, { where: { merchant_id: merchantId }, order: { created_at: 'ASC' } }),
    );
    return keys.map((k) => ({
      client_key: k.client_key,
      scopes: k.scopes.split(' '),
      created_at: k.created_at.toISOString(),
      revoked_at: k.revoked_at ? k.revoked_at.toISOString() : null,
    }));
  }

  /** Revokes at once: the next request with this key is refused. Returns false if no such key. */
  async revokeKey(clientKey: string): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const key = await em.findOne(ApiKey, { where: { client_key: clientKey } });
      if (!key) return false;
      if (!key.revoked_at) await em.update(ApiKey, { id: key.id }, { revoked_at: new Date() });
      return true;
    });
  }

  async hasAnyMerchant(): Promise<boolean> {
    return (await this.db.read((em) => em.count(Merchant))) > 0;
  }

  private async insertKey(
    repo: { insert(k: ApiKey): Promise<unknown> },
    merchantId: string,
    scopes: string[],
  ): Promise<IssuedKey> {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length || scopes.length === 0) {
      throw new BadRequestException(`Unknown scope ${unknown.join(', ')}; scopes are: ${SCOPES.join(', ')}`);
    }
    const unique = [...new Set(scopes)];
    const clientKey = `ck_${randomBytes(12).toString('hex')}`;
    const clientSecret = `sk_${randomBytes(32).toString('base64url')}`;
    await repo.insert({
      id: randomUUID(),
      merchant_id: merchantId,
      client_key: clientKey,
      secret_hash: hashSecret(clientSecret),
      scopes: unique.join(' '),
      created_at: new Date(),
      revoked_at: null,
    });
    return { merchant_id: merchantId, client_key: clientKey, client_secret: clientSecret, scopes: unique };
  }
}
