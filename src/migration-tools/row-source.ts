/**
 * Reading an import file as a stream of rows, whatever its size, in constant memory: CSV through
 * csv-parse, NDJSON line by line. A row the parser cannot read (a broken quote, a wrong number of
 * fields, bytes that are not UTF-8, a line that is not a JSON object) comes out as a row with a
 * problem, so it is refused alone; a file that is not CSV or NDJSON at all stops the import with
 * one line (NotImportable).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { CsvError } from 'csv-parse';

export type ImportFormat = 'csv' | 'ndjson';

/** One row of the file: its number (from 1, the header not counted), its line, its raw text. */
export interface SourceRow {
  row: number;
  line: number;
  raw: string;
  fields?: Record<string, unknown>;
  /** Why the row cannot be read; then it has no fields. */
  problem?: string;
}

/** The file cannot be imported at all: the message is the one line the CLI prints. */
export class NotImportable extends Error {}

/** The longest row accepted (CSV record or NDJSON line); longer ones are refused alone. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** PNG, ZIP (also .xlsx), gzip, PDF, JPEG: files people pick by mistake. */
const BINARY_MAGIC = [
  Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.from([0x1f, 0x8b]),
  Buffer.from('%PDF'),
  Buffer.from([0xff, 0xd8, 0xff]),
];

const NOT_UTF8 = 'the row is not valid UTF-8 text (save the file as UTF-8)';

/** Format from --format, the file name, or its first bytes; refuses binary files and empty ones. */
export async function detectFormat(file: string, given?: string): Promise<ImportFormat> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new NotImportable(`Cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length === 0) throw new NotImportable(`${file} is empty`);
  if (head.includes(0) || BINARY_MAGIC.some((m) => head.subarray(0, m.length).equals(m)))
    throw new NotImportable(`${file} is not a CSV or NDJSON file: it holds binary data`);
  if (given === 'csv' || given === 'ndjson') return given;
  if (given !== undefined) throw new NotImportable(`--format must be csv or ndjson, got ${given}`);
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  return head.toString('utf8').trimStart().startsWith('{') ? 'ndjson' : 'csv';
}

/** The rows of the file, in order. `knownColumn` tells a header of customer fields from anything else. */
export function readRows(
  file: string,
  format: ImportFormat,
  knownColumn: (name: string) => boolean,
): AsyncGenerator<SourceRow> {
  return format === 'csv' ? readCsv(file, knownColumn) : readNdjson(file);
}

async function* readCsv(file: string, knownColumn: (name: string) => boolean): AsyncGenerator<SourceRow> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      raw: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_ROW_BYTES,
    }),
  );
  // The parser reads ahead of what is consumed, so a record it could not read is reported (skip)
  // before the records in front of it come out: each says how many records preceded it, and waits
  // for its turn. One broken line can fail more than once as the parser recovers: one row.
  const skipped: CsvError[] = [];
  parser.on('skip', (err: CsvError) => {
    const last = skipped[skipped.length - 1];
    if (last && last.lines === err.lines)
      skipped[skipped.length - 1] = Object.assign(err, { message: last.message });
    else skipped.push(err);
  });
  let columns: string[] | undefined;
  let row = 0;
  const broken = function* (before: number): Generator<SourceRow> {
    while (skipped.length > 0 && Number(skipped[0].records) < before) {
      const err = skipped.shift()!;
      const { raw, lines } = err as unknown as { raw?: unknown; lines?: unknown };
      yield {
        row: ++row,
        line: Number(lines ?? 0),
        raw: typeof raw === 'string' ? raw.replace(/\r?\n$/, '') : '',
        problem: `malformed CSV: ${err.message}`,
      };
    }
  };
  for await (const rec of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number; records: number };
  }>) {
    if (!columns) {
      columns = rec.record.map((c) => c.trim());
      if (!columns.some(knownColumn))
        throw new NotImportable(
          `${file} does not start with a header of customer fields (such as firstname, email or first_name): ${truncate(rec.raw)}`,
        );
      const seen = new Set<string>();
      for (const c of columns) {
        if (seen.has(c)) throw new NotImportable(`${file}: the header names the column ${c} twice`);
        seen.add(c);
      }
      continue;
    }
    yield* broken(rec.info.records);
    row++;
    const raw = rec.raw.replace(/\r?\n$/, '');
    const line = rec.info.lines;
    if (rec.record.length !== columns.length) {
      yield {
        row,
        line,
        raw,
        problem: `the row has ${rec.record.length} fields, the header has ${columns.length}`,
      };
      continue;
    }
    if (rec.record.some((v) => v.includes('\uFFFD'))) {
      yield { row, line, raw, problem: NOT_UTF8 };
      continue;
    }
    const fields: Record<string, unknown> = {};
    columns.forEach((c, i) => (fields[c] = rec.record[i]));
    yield { row, line, raw, fields };
  }
  if (!columns) throw new NotImportable(`${file} has no header row`);
  yield* broken(Infinity);
}

async function* readNdjson(file: string): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let row = 0;
  for await (const text of lines) {
    line++;
    const raw = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (raw.trim() === '') continue;
    row++;
    if (Buffer.byteLength(raw) > MAX_ROW_BYTES) {
      yield { row, line, raw: truncate(raw), problem: `the line is longer than ${MAX_ROW_BYTES} bytes` };
      continue;
    }
    if (raw.includes('\uFFFD')) {
      yield { row, line, raw, problem: NOT_UTF8 };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      if (row === 1)
        throw new NotImportable(`${file} is not NDJSON: its first line is not JSON: ${truncate(raw)}`);
      yield { row, line, raw, problem: 'the line is not valid JSON' };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { row, line, raw, problem: 'the line is not a JSON object' };
      continue;
    }
    yield { row, line, raw, fields: value as Record<string, unknown> };
  }
  if (row === 0) throw new NotImportable(`${file} has no rows`);
}

function truncate(text: string): string {
  const one = text.replace(/\r?\n/g, ' ');
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}
