/**
 * The CLI's data-migration commands (customers:import, customers:export, demo:seed); cli.ts
 * hands them over. Progress goes to stderr; stdout carries the export's data, or the summary
 * (one JSON document with --json).
 *
 * Exit codes: 0 done; 3 done, but some rows were refused (see the rejects file); 2 a usage
 * problem or a file that cannot be imported at all; 130 stopped by Ctrl-C (resume with --resume);
 * 1 anything else.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthService } from '../auth/auth.service';
import { loadConfig } from '../config/config';
import { CustomerExporter } from './customer-export';
import { CustomerImporter, ImportRefused } from './customer-import';
import { DemoSeeder } from './demo-seed';
import { MigrationToolsModule } from './migration-tools.module';
import { createProgress } from './progress';
import { NotImportable } from './row-source';
import type { MatchBy } from './row-item';

export const MIGRATION_USAGE = `  customers:import --merchant <id> [--match id|email|reference] [--dry-run] [--resume|--restart]
                   [--format csv|ndjson] [--rejects <file>] [--json] FILE
  customers:export --merchant <id> [--format csv|ndjson] [--updated-since <ISO time>]
                   [--trashed with|only] [--output <file>]
  demo:seed --merchant <id> --count <n> [--seed <n>] [--json]`;

class Usage extends Error {}

const COMMANDS = new Set(['customers:import', 'customers:export', 'demo:seed']);

export function isMigrationCommand(command: string | undefined): boolean {
  return command !== undefined && COMMANDS.has(command);
}

/**
 * Runs the command and ends the process with its exit code: the command owns stdout (an export
 * writes its data there), so nothing may be printed after it.
 */
export async function runMigrationCommand(argv: string[]): Promise<never> {
  const json = argv.includes('--json');
  let code: number;
  try {
    code = await run(argv);
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    else process.stderr.write(message + '\n');
    code = err instanceof Usage || err instanceof NotImportable || err instanceof ImportRefused ? 2 : 1;
  }
  return process.exit(code);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    options: {
      merchant: { type: 'string' },
      match: { type: 'string' },
      format: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      restart: { type: 'boolean', default: false },
      rejects: { type: 'string' },
      'updated-since': { type: 'string' },
      trashed: { type: 'string' },
      output: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const command = argv[0];
  const merchantId = values.merchant;
  if (!merchantId) throw new Usage(`${command} needs --merchant\n\nUsage:\n${MIGRATION_USAGE}`);
  const checked = checkOptions(command, values, positionals);

  const config = loadConfig({ ...process.env, DEMO_MERCHANT: 'false', LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(MigrationToolsModule.forRoot(config), {
    logger: false,
  });
  try {
    if (!(await app.get(AuthService).merchantExists(merchantId)))
      throw new Usage(`No merchant ${merchantId}`);
    return await dispatch(app, command, merchantId, checked, values.json);
  } finally {
    await app.close();
  }
}

type Values = Record<string, string | boolean | undefined>;

interface Checked {
  file?: string;
  match?: MatchBy;
  format?: string;
  trashed: 'without' | 'with' | 'only';
  updatedSince?: Date;
  count: number;
  seed: number;
  values: Values;
}

function checkOptions(command: string, values: Values, positionals: string[]): Checked {
  const match = values.match as string | undefined;
  if (match !== undefined && !['id', 'email', 'reference'].includes(match))
    throw new Usage(`--match must be id, email or reference, got ${match}`);
  const trashed = (values.trashed as string | undefined) ?? 'without';
  if (!['without', 'with', 'only'].includes(trashed))
    throw new Usage(`--trashed must be with or only, got ${trashed}`);
  const since = values['updated-since'] as string | undefined;
  const updatedSince = since === undefined ? undefined : new Date(since);
  if (updatedSince && Number.isNaN(updatedSince.getTime()))
    throw new Usage(`--updated-since must be an ISO 8601 time, got ${since}`);
  const count = Number(values.count ?? NaN);
  if (command === 'demo:seed' && !(Number.isInteger(count) && count > 0 && count <= 10_000_000))
    throw new Usage('demo:seed needs --count, a whole number from 1 to 10000000');
  if (command === 'customers:import' && positionals.length !== 1)
    throw new Usage(`customers:import needs one FILE\n\nUsage:\n${MIGRATION_USAGE}`);
  if (values.resume && values.restart) throw new Usage('--resume and --restart exclude each other');
  const format = values.format as string | undefined;
  if (command === 'customers:export' && format !== undefined && format !== 'csv' && format !== 'ndjson')
    throw new Usage(`--format must be csv or ndjson, got ${format}`);
  return {
    file: positionals[0],
    match: match as MatchBy | undefined,
    format,
    trashed: trashed as Checked['trashed'],
    updatedSince,
    count,
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed),
    values,
  };
}

async function dispatch(
  app: INestApplicationContext,
  command: string,
  merchantId: string,
  o: Checked,
  json: boolean | string | undefined,
): Promise<number> {
  const say = (summary: object, text: string) =>
    process.stdout.write((json ? JSON.stringify(summary) : text) + '\n');

  if (command === 'customers:import') {
    let stopping = false;
    const onSigint = () => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write('\nStopping after the batch in hand (Ctrl-C again to stop at once)…\n');
    };
    process.on('SIGINT', onSigint);
    try {
      const s = await app.get(CustomerImporter).run({
        merchantId,
        file: o.file!,
        format: o.format,
        match: o.match,
        dryRun: o.values['dry-run'] === true,
        resume: o.values.resume === true,
        restart: o.values.restart === true,
        rejectsPath: o.values.rejects as string | undefined,
        progress: () => createProgress(o.values['dry-run'] ? 'checking' : 'importing', null),
        interrupted: () => stopping,
      });
      const what = s.dry_run ? 'Dry run (nothing written)' : s.interrupted ? 'Interrupted' : 'Imported';
      say(
        s,
        `${what}: ${s.rows_done} rows of ${s.file}${s.resumed_from ? ` (resumed after row ${s.resumed_from})` : ''}: ` +
          `${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected` +
          (s.rejects_file ? `\nRejected rows: ${s.rejects_file}` : '') +
          (s.interrupted ? '\nRun the same command with --resume to continue.' : ''),
      );
      return s.interrupted ? 130 : s.rejected > 0 ? 3 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }

  if (command === 'customers:export') {
    const out = o.values.output ? createWriteStream(o.values.output as string) : process.stdout;
    const { exported } = await app.get(CustomerExporter).run({
      merchantId,
      format: o.format === 'ndjson' ? 'ndjson' : 'csv',
      trashed: o.trashed,
      updatedSince: o.updatedSince,
      out,
      progress: createProgress('exporting', null),
    });
    if (out !== process.stdout) await new Promise<void>((done) => out.end(done));
    process.stderr.write(`Exported ${exported} customers\n`);
    return 0;
  }

  const { created } = await app.get(DemoSeeder).run({
    merchantId,
    count: o.count,
    seed: o.seed,
    progress: createProgress('seeding', o.count),
  });
  say({ created, seed: o.seed }, `Created ${created} demo customers (seed ${o.seed})`);
  return 0;
}
