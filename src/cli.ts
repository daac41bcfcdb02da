/**
 * Provisioning: merchants and API keys, against the same DATABASE_URL as the service.
 * Runs pending migrations first. With --json, stdout carries exactly one JSON document.
 *
 *   merchant:create --name "Acme" [--scopes "customers:read customers:write"] [--json]
 *   key:create --merchant <id> [--scopes "..."] [--json]
 *   key:list --merchant <id> [--json]
 *   key:revoke <client_key> [--json]
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { HttpException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthService } from './auth/auth.service';
import { loadConfig } from './config/config';
import { dataSourceOptions } from './database/data-source-options';
import { isMigrationCommand, MIGRATION_USAGE, runMigrationCommand } from './migration-tools/commands';

const USAGE = `Usage: npm run -s cli -- <command> [options]
  merchant:create --name <name> [--scopes "<scope> ..."] [--json]
  key:create --merchant <merchant_id> [--scopes "<scope> ..."] [--json]
  key:list --merchant <merchant_id> [--json]
  key:revoke <client_key> [--json]
${MIGRATION_USAGE}
Scopes: customers:read customers:write customers:reactivate (default: customers:read customers:write)`;

class UsageError extends Error {}

function scopesOf(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : raw.split(/[\s,]+/).filter(Boolean);
}

async function run(argv: string[]): Promise<{ json: unknown; text: string }> {
  if (isMigrationCommand(argv[0])) return runMigrationCommand(argv);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      merchant: { type: 'string' },
      scopes: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) throw new UsageError(USAGE);

  const ds = new DataSource({ ...dataSourceOptions(loadConfig().databaseUrl), migrationsRun: false });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const auth = AuthService.over(ds);
    switch (command) {
      case 'merchant:create': {
        if (!values.name) throw new UsageError('merchant:create needs --name\n\n' + USAGE);
        const k = await auth.createMerchant(values.name, scopesOf(values.scopes));
        return {
          json: k,
          text: `Merchant ${k.merchant_id}\n  client_key:    ${k.client_key}\n  client_secret: ${k.client_secret} (shown once)\n  scopes:        ${k.scopes.join(' ')}`,
        };
      }
      case 'key:create': {
        if (!values.merchant) throw new UsageError('key:create needs --merchant\n\n' + USAGE);
        const k = await auth.createKey(values.merchant, scopesOf(values.scopes));
        return {
          json: k,
          text: `New key for merchant ${k.merchant_id}\n  client_key:    ${k.client_key}\n  client_secret: ${k.client_secret} (shown once)\n  scopes:        ${k.scopes.join(' ')}`,
        };
      }
      case 'key:list': {
        if (!values.merchant) throw new UsageError('key:list needs --merchant\n\n' + USAGE);
        const keys = await auth.listKeys(values.merchant);
        const text = keys.length
          ? keys
              .map(
                (k) =>
                  `${k.client_key}  ${k.scopes.join(' ')}  created ${k.created_at}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}`,
              )
              .join('\n')
          : 'No keys.';
        return { json: keys, text };
      }
      case 'key:revoke': {
        if (!arg) throw new UsageError('key:revoke needs a client_key\n\n' + USAGE);
        if (!(await auth.revokeKey(arg))) throw new UsageError(`No key ${arg}`);
        return { json: { client_key: arg, revoked: true }, text: `Revoked ${arg}` };
      }
      default:
        throw new UsageError(`Unknown command ${command}\n\n${USAGE}`);
    }
  } finally {
    await ds.destroy();
  }
}

const json = process.argv.includes('--json');
run(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write((json ? JSON.stringify(out.json) : out.text) + '\n');
  },
  (err: unknown) => {
    const message =
      err instanceof HttpException ? err.message : err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    else process.stderr.write(message + '\n');
    process.exitCode = err instanceof UsageError || err instanceof HttpException ? 2 : 1;
  },
);
