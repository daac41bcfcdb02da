/**
 * Provisioning: merchants and API keys, against the same DATABASE_URL as the service.
 * Runs pending migrations first. With --json, stdout carries exactly one JSON document.
 * `help` and `--help` print the usage on stdout and exit 0; a usage error exits 2.
 *
 *   merchant:create --name "Acme" [--scopes "customers:read customers:write"] [--json]
 *   merchant:list [--json]
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
  merchant:list [--json]
  key:create --merchant <merchant_id> [--scopes "<scope> ..."] [--json]
  key:list --merchant <merchant_id> [--json]
  key:revoke <client_key> [--json]
${MIGRATION_USAGE}
  help, --help
Scopes: customers:read customers:write customers:reactivate (default: customers:read customers:write)`;

const COMMANDS = ['merchant:create', 'merchant:list', 'key:create', 'key:list', 'key:revoke'];

class UsageError extends Error {}

/** Asked for the usage: printed on stdout, exit 0. */
class HelpRequested extends Error {}

function scopesOf(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : raw.split(/[\s,]+/).filter(Boolean);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        merchant: { type: 'string' },
        scopes: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // An unknown option, or a value missing after --name: the caller's mistake, like any other.
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

async function run(argv: string[]): Promise<{ json: unknown; text: string }> {
  if (isMigrationCommand(argv[0])) return runMigrationCommand(argv);
  const { values, positionals } = parse(argv);
  const [command, arg] = positionals;
  if (values.help || command === 'help') throw new HelpRequested(USAGE);
  if (!command) throw new UsageError(`No command given\n\n${USAGE}`);
  if (!COMMANDS.includes(command)) throw new UsageError(`Unknown command ${command}\n\n${USAGE}`);

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
      case 'merchant:list': {
        const merchants = await auth.listMerchants();
        const text = merchants.length
          ? merchants
              .map(
                (m) => `${m.merchant_id}  ${m.active_keys} active key(s)  created ${m.created_at}  ${m.name}`,
              )
              .join('\n')
          : 'No merchants.';
        return { json: merchants, text };
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
    if (err instanceof HelpRequested) {
      process.stdout.write(err.message + '\n');
      return;
    }
    const message =
      err instanceof HttpException ? err.message : err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    else process.stderr.write(message + '\n');
    process.exitCode = err instanceof UsageError || err instanceof HttpException ? 2 : 1;
  },
);
