/**
 * customers:export: one merchant's customers as CSV or NDJSON, streamed page by page in
 * (created_at, id) order (keyset pagination: constant memory, each page read from the index),
 * in the columns customers:import reads back: id, the stored fields under their Stax names
 * (customer_type and status too), then the timestamps, which an import ignores.
 */
import { once } from 'node:events';
import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { STAX_WRITABLE_FIELDS } from '../customers/customer-fields';
import type { Customer } from '../customers/customer.entity';
import { CustomersService } from '../customers/customers.service';
import type { Progress } from './progress';

export const EXPORT_COLUMNS = [
  'id',
  ...STAX_WRITABLE_FIELDS,
  'customer_type',
  'status',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

const PAGE = 1000;

export interface ExportOptions {
  merchantId: string;
  format: 'csv' | 'ndjson';
  trashed: 'without' | 'with' | 'only';
  updatedSince?: Date;
  out: NodeJS.WritableStream;
  progress: Progress;
}

function record(c: Customer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of EXPORT_COLUMNS) {
    const v = c[k];
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/** A CSV cell: empty for null, JSON for lists and options, true/false for the boolean. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

@Injectable()
export class CustomerExporter {
  constructor(private readonly customers: CustomersService) {}

  async run(opts: ExportOptions): Promise<{ exported: number }> {
    const write = async (text: string) => {
      if (!opts.out.write(text)) await once(opts.out, 'drain');
    };
    if (opts.format === 'csv') await write(stringify([[...EXPORT_COLUMNS]]));
    let after: Customer | null = null;
    let exported = 0;
    for (;;) {
      const page = await this.customers.exportPage(
        opts.merchantId,
        after,
        { trashed: opts.trashed, updatedSince: opts.updatedSince },
        PAGE,
      );
      if (page.length === 0) break;
      const records = page.map(record);
      await write(
        opts.format === 'csv'
          ? stringify(records.map((r) => EXPORT_COLUMNS.map((k) => cell(r[k]))))
          : records.map((r) => JSON.stringify(r)).join('\n') + '\n',
      );
      exported += page.length;
      opts.progress.update(exported);
      after = page[page.length - 1];
      if (page.length < PAGE) break;
    }
    opts.progress.stop();
    return { exported };
  }
}
