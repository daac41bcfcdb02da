import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AuthService, MerchantSummary } from './auth.service';
import { SCOPES } from './principal';

/** How the provisioning CLI is run, from the repository or inside the image alike. */
export const CLI = 'npm run -s cli --';

/**
 * The command that makes a usable key when there is none: a merchant (with its first key) on an
 * empty database, else a key for the only merchant, else a key for one of them.
 */
export function keyHint(merchants: MerchantSummary[]): string {
  if (merchants.length === 0) return `${CLI} merchant:create --name "My shop"`;
  if (merchants.length === 1) return `${CLI} key:create --merchant ${merchants[0].merchant_id}`;
  return `${CLI} key:create --merchant <merchant_id>   (ids: ${CLI} merchant:list)`;
}

/**
 * At start-up, makes sure the person starting the service can get a key. Outside production, a
 * database with no merchant gets a demo merchant with every scope, whose credentials are printed
 * once. Otherwise, when no merchant has a key that is not revoked, the one command that makes
 * one is printed. Both go straight to stdout: LOG_LEVEL=warn (or JSON logs read by a machine)
 * must not hide them from the person starting it.
 */
@Injectable()
export class DemoMerchantSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoMerchant');

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const merchants = await this.auth.listMerchants();
    if (merchants.length === 0 && this.config.seedDemoMerchant) {
      await this.createDemoMerchant();
      return;
    }
    // The test harness makes its merchants itself.
    if (merchants.some((m) => m.active_keys > 0) || this.config.nodeEnv === 'test') return;
    const sameDatabase = process.env.DATABASE_URL ? ' (with the same DATABASE_URL)' : '';
    const why = merchants.length === 0 ? 'no merchant yet' : 'every key is revoked';
    process.stdout.write(
      `\nNo usable API key (${why}). Make one with${sameDatabase}:\n  ${keyHint(merchants)}\n\n`,
    );
  }

  private async createDemoMerchant(): Promise<void> {
    const key = await this.auth.createMerchant('Demo merchant', [...SCOPES]);
    const lines = [
      'Created a demo merchant (shown once; the secret is stored only as a hash):',
      `  merchant_id:   ${key.merchant_id}`,
      `  client_key:    ${key.client_key}`,
      `  client_secret: ${key.client_secret}`,
      `  scopes:        ${key.scopes.join(' ')}`,
      `  try: curl -H "Authorization: Bearer ${key.client_secret}" http://localhost:${this.config.port}/customer`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    this.logger.log(`Created demo merchant ${key.merchant_id}; its credentials are printed above`);
  }
}
