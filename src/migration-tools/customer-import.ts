/**
 * customers:import: a CSV or NDJSON file into one merchant's customers, through the same batch
 * write as POST /customer/bulk (CustomersService.bulk): every row checked by the API's rules,
 * BULK_MAX_ITEMS rows per transaction, audit entries with actor `cli:import`.
 *
 * Exactly once: each batch's transaction also writes the run's checkpoint (import_runs), so after
 * a crash or Ctrl-C `--resume` starts right after the last committed batch. Refused rows go to the
 * rejects file (row, line, reason, raw text) before their batch commits; a resume drops the lines
 * of rows it will read again.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadRequestException, Injectable } from '@nestjs/common';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { RequestContext } from '../common/request-context';
import type { SqlTransaction } from '../database/sql-transaction';
import {
  BULK_MAX_ITEMS,
  BulkItem,
  BulkOutcome,
  bulkFailed,
  CustomersService,
} from '../customers/customers.service';
import { cliContext } from './cli-context';
import { ImportCounts, ImportRunsRepository } from './import-runs.repository';
import type { Progress } from './progress';
import { detectFormat, ImportFormat, readRows, SourceRow } from './row-source';
import { isKnownColumn, MatchBy, Naming, namingOf, rowItem } from './row-item';

export interface ImportOptions {
  merchantId: string;
  file: string;
  format?: string;
  match?: MatchBy;
  dryRun: boolean;
  resume: boolean;
  restart: boolean;
  rejectsPath?: string;
  batchSize?: number;
  progress: (format: ImportFormat) => Progress;
  /** Asked between batches: stop cleanly (Ctrl-C) after the batch in hand. */
  interrupted?: () => boolean;
}

export interface ImportSummary extends ImportCounts {
  file: string;
  format: ImportFormat;
  dry_run: boolean;
  resumed_from: number;
  rejects_file: string | null;
  interrupted: boolean;
}

/** A usage problem of the import (exit 2): the message says what to do. */
export class ImportRefused extends Error {}

/** Thrown by a dry run's before-commit step: everything was checked, nothing is kept. */
class DryRunRollback extends Error {
  constructor(readonly outcome: BulkOutcome) {
    super('dry run');
  }
}

const REJECTS_HEADER = ['row', 'line', 'reason', 'raw'];

@Injectable()
export class CustomerImporter {
  constructor(
    private readonly customers: CustomersService,
    private readonly runs: ImportRunsRepository,
  ) {}

  async run(opts: ImportOptions): Promise<ImportSummary> {
    const file = resolve(opts.file);
    const format = await detectFormat(file, opts.format);
    const sourceKey = createHash('sha256')
      .update(JSON.stringify([file, format, opts.match ?? null]))
      .digest('hex');
    const rejectsPath = opts.rejectsPath ?? `${opts.file}.rejects.csv`;
    const counts: ImportCounts = { rows_done: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
    let resumedFrom = 0;

    if (!opts.dryRun) {
      const earlier = await this.runs.find(opts.merchantId, sourceKey);
      if (earlier?.state === 'running' && !opts.resume && !opts.restart)
        throw new ImportRefused(
          `An import of ${opts.file} for this merchant stopped after ${earlier.rows_done} rows: ` +
            'run it again with --resume to continue, or --restart to start over',
        );
      if (earlier && opts.resume && earlier.state === 'done')
        throw new ImportRefused(
          `The import of ${opts.file} already finished (${earlier.rows_done} rows); nothing to resume`,
        );
      if (earlier?.state === 'running' && opts.resume) {
        resumedFrom = earlier.rows_done;
        Object.assign(counts, pickCounts(earlier));
      } else {
        const now = new Date();
        await this.runs.start({
          merchant_id: opts.merchantId,
          source_key: sourceKey,
          source: file.slice(-1024),
          state: 'running',
          ...counts,
          started_at: now,
          updated_at: now,
        });
      }
    }

    const rejects = openRejects(rejectsPath, resumedFrom);
    const ctx = cliContext(opts.merchantId, 'cli:import');
    const progress = opts.progress(format);
    const size = opts.batchSize ?? BULK_MAX_ITEMS;
    let naming: Naming | undefined;
    let batch: { row: SourceRow; item: BulkItem }[] = [];
    let interrupted = false;

    const flush = async () => {
      if (batch.length === 0) return;
      await this.commitBatch(ctx, batch, naming ?? 'stax', counts, rejects, opts, sourceKey);
      batch = [];
      progress.update(counts.rows_done, summaryText(counts));
    };

    try {
      for await (const row of readRows(file, format, isKnownColumn)) {
        if (row.row <= resumedFrom) continue;
        let item: BulkItem;
        if (row.fields) {
          naming ??= namingOf(Object.keys(row.fields));
          item = await rowItem(row.fields, {
            naming,
            match: opts.match,
            merchantId: opts.merchantId,
            fromCsv: format === 'csv',
          });
        } else {
          item = { patch: {}, invalid: new BadRequestException([row.problem ?? 'unreadable row']) };
        }
        batch.push({ row, item });
        if (batch.length >= size) {
          await flush();
          if (opts.interrupted?.()) {
            interrupted = true;
            break;
          }
        }
      }
      if (!interrupted) await flush();
    } finally {
      progress.stop();
      closeSync(rejects.fd);
    }
    if (!opts.dryRun && !interrupted) await this.runs.finish(opts.merchantId, sourceKey);
    return {
      file: opts.file,
      format,
      dry_run: opts.dryRun,
      resumed_from: resumedFrom,
      ...counts,
      rejects_file: counts.rejected > 0 ? rejectsPath : null,
      interrupted,
    };
  }

  /**
   * One batch in one transaction: the rows' changes and, in the same transaction, the checkpoint
   * (sent as the batch's last statement, so a refusal of any statement shows before it); then the
   * refused rows are written to the rejects file, and the transaction commits.
   */
  private async commitBatch(
    ctx: RequestContext,
    batch: { row: SourceRow; item: BulkItem }[],
    naming: Naming,
    counts: ImportCounts,
    rejects: Rejects,
    opts: ImportOptions,
    sourceKey: string,
  ): Promise<void> {
    let settled: ImportCounts | undefined;
    const beforeCommit = async (tx: SqlTransaction, result: unknown) => {
      const outcome = result as BulkOutcome;
      const next = tally(counts, batch, outcome);
      await this.runs.checkpointNow(tx, opts.merchantId, sourceKey, next);
      if (opts.dryRun) throw new DryRunRollback(outcome);
      rejects.write(batch, outcome);
      settled = next;
    };
    try {
      await this.customers.bulk(
        { ...ctx, beforeCommit },
        batch.map((b) => b.item),
        {
          identityRule: naming === 'stax',
          atomic: false,
          createdStatus: 201,
        },
      );
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
      rejects.write(batch, err.outcome);
      settled = tally(counts, batch, err.outcome);
    }
    if (settled) Object.assign(counts, settled);
  }
}

function pickCounts(c: ImportCounts): ImportCounts {
  return {
    rows_done: c.rows_done,
    created: c.created,
    updated: c.updated,
    unchanged: c.unchanged,
    rejected: c.rejected,
  };
}

function tally(counts: ImportCounts, batch: { row: SourceRow }[], outcome: BulkOutcome): ImportCounts {
  const next = { ...counts, rows_done: batch[batch.length - 1].row.row };
  for (const r of outcome.results) {
    if (bulkFailed(r)) next.rejected++;
    else if (r.created) next.created++;
    else if (r.changed) next.updated++;
    else next.unchanged++;
  }
  return next;
}

function summaryText(c: ImportCounts): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected`;
}

interface Rejects {
  fd: number;
  write(batch: { row: SourceRow; item: BulkItem }[], outcome: BulkOutcome): void;
}

function reasonOf(message: string | string[]): string {
  return Array.isArray(message) ? message.join('; ') : message;
}

/**
 * The rejects file (CSV: row, line, reason, raw). A resume keeps the lines of rows before its
 * checkpoint and drops any written for rows it will read again.
 */
function openRejects(path: string, resumedFrom: number): Rejects {
  if (resumedFrom > 0 && existsSync(path)) {
    const earlier: string[][] = parseSync(readFileSync(path), { from_line: 2, relax_column_count: true });
    const kept = earlier.filter((r) => Number(r[0]) <= resumedFrom);
    writeFileSync(path, stringify([REJECTS_HEADER, ...kept]));
  } else {
    writeFileSync(path, stringify([REJECTS_HEADER]));
  }
  const fd = openSync(path, 'a');
  const written = new Set<number>();
  return {
    fd,
    write(batch, outcome) {
      const lines: string[][] = [];
      for (const r of outcome.results) {
        if (!bulkFailed(r)) continue;
        const { row } = batch[r.index];
        if (written.has(row.row)) continue;
        written.add(row.row);
        lines.push([String(row.row), String(row.line), reasonOf(r.error.message), row.raw]);
      }
      if (lines.length === 0) return;
      writeSync(fd, stringify(lines));
      fsyncSync(fd);
    },
  };
}
