import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AuthService } from './auth.service';
import { SCOPES } from './principal';

/**
 * Outside production, a database with no merchant gets a demo merchant with every scope, and its
 * credentials are printed once, so a new user can open the docs and try every route at once.
 */
@Injectable()
export class DemoMerchantSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoMerchant');

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoMerchant || (await this.auth.hasAnyMerchant())) return;
    const key = await this.auth.createMerchant('Demo merchant', [...SCOPES]);
    const lines = [
      'Created a demo merchant (shown once; the secret is stored only as a hash):',
      `  merchant_id:   ${key.merchant_id}`,
      `  client_key:    ${key.client_key}`,
      `  client_secret: ${key.client_secret}`,
      `  scopes:        ${key.scopes.join(' ')}`,
      `  try: curl -H "Authorization: Bearer ${key.client_secret}" http://localhost:${this.config.port}/customer`,
    ];
    // Straight to stdout, not through the logger: the README promises the credentials are printed, and
    // LOG_LEVEL=warn (or JSON logs read by a machine) must not hide them from the person starting it.
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    this.logger.log(`Created demo merchant ${key.merchant_id}; its credentials are printed above`);
  }
}
