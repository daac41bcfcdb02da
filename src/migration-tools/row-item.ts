/**
 * One row of an import file as an item of a batch: its field names (Stax or v0), checked by the
 * same body classes and messages as the API's single routes, and which stored customer it
 * changes (--match).
 */
import { BadRequestException } from '@nestjs/common';
import { validateAs } from '../common/validation';
import type { BulkItem, BulkTarget } from '../customers/customers.service';
import { STAX_WRITABLE_FIELDS, V0_TO_STORED } from '../customers/customer-fields';
import { STAX_READ_ONLY_FIELDS } from '../customers/customer.views';
import { StaxCustomerBody } from '../customers/dto/stax-customer.dto';
import { V0CreateCustomerBody, V0UpdateCustomerBody } from '../customers/dto/v0-customer.dto';
import { echoedFieldsProblem, staxPatch, v0Patch } from '../customers/surface-patch';

export type MatchBy = 'id' | 'email' | 'reference';
export type Naming = 'stax' | 'v0';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names only v0 uses; a file with any of them is read with v0 names. */
const V0_ONLY_NAMES = new Set(['first_name', 'last_name', 'phone_number']);
/** Stored fields the Stax surface does not write; an import with Stax names may set them (v0's rules). */
const V0_ONLY_FIELDS = new Set(['customer_type', 'status']);
/** Read-only fields of either surface's view: an export carries them, an import ignores them. */
const READ_ONLY = new Set<string>([
  ...STAX_READ_ONLY_FIELDS.filter((f) => f !== 'id'),
  'last_spent',
  'last_purchase_date',
  'appId',
  'createdAt',
  'updatedAt',
]);

/** Every column name an import file may use. */
export function isKnownColumn(name: string): boolean {
  return (
    name === 'id' ||
    READ_ONLY.has(name) ||
    (STAX_WRITABLE_FIELDS as string[]).includes(name) ||
    V0_ONLY_FIELDS.has(name) ||
    name in V0_TO_STORED
  );
}

export function namingOf(columns: string[]): Naming {
  return columns.some((c) => V0_ONLY_NAMES.has(c)) ? 'v0' : 'stax';
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/**
 * A CSV cell as the JSON value it stands for: lists and options as JSON (`["a@x.com"]`), or a list
 * separated by `;` or `,`; the boolean as true/false (1/0, yes/no). An empty cell means "not
 * given". Anything else stays text, for the field's own check to refuse.
 */
function fromCell(field: string, cell: string): unknown {
  if (cell === '') return undefined;
  if (field === 'cc_emails' || field === 'cc_sms') {
    if (cell.trimStart().startsWith('[')) return parseJson(cell);
    return cell
      .split(/[;,]/)
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (field === 'options') return cell.trimStart().startsWith('{') ? parseJson(cell) : cell;
  if (field === 'allow_invoice_credit_card_payments') {
    const v = cell.trim().toLowerCase();
    return TRUE.has(v) ? true : FALSE.has(v) ? false : cell;
  }
  return cell;
}

function parseJson(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}

export interface RowItemOptions {
  naming: Naming;
  match?: MatchBy;
  merchantId: string;
  /** CSV cells are text: convert them (see fromCell). NDJSON values are JSON already. */
  fromCsv: boolean;
}

function refused(messages: string[]): BulkItem {
  return { patch: {}, invalid: new BadRequestException(messages) };
}

/** The row as a bulk item: a create, or an update of the customer it matches. */
export async function rowItem(row: Record<string, unknown>, opts: RowItemOptions): Promise<BulkItem> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (READ_ONLY.has(k)) continue;
    const value = opts.fromCsv && typeof v === 'string' ? fromCell(k, v) : v;
    if (value !== undefined) fields[k] = value;
  }
  const { id, ...body } = fields;
  const problems: string[] = [];
  if (id !== undefined && id !== null && (typeof id !== 'string' || !UUID.test(id)))
    problems.push('Customer ID must be a valid UUID');

  let target: BulkTarget | undefined;
  if (opts.match === 'id' && typeof id === 'string' && UUID.test(id))
    target = { by: 'id', id: id.toLowerCase() };
  if (opts.match === 'email' && typeof body.email === 'string' && body.email.trim())
    target = { by: 'email', value: body.email };
  if (opts.match === 'reference' && typeof body.reference === 'string' && body.reference.trim())
    target = { by: 'reference', value: body.reference };

  if (opts.naming === 'v0') {
    const checked =
      target?.by === 'id'
        ? await validateAs(V0UpdateCustomerBody, body)
        : await validateAs(V0CreateCustomerBody, body);
    if (checked.messages) return refused([...problems, ...checked.messages]);
    return problems.length ? refused(problems) : { target, patch: v0Patch(checked.value) };
  }

  const staxBody: Record<string, unknown> = {};
  const v0Body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) (V0_ONLY_FIELDS.has(k) ? v0Body : staxBody)[k] = v;
  const [stax, v0] = await Promise.all([
    validateAs(StaxCustomerBody, staxBody),
    validateAs(V0UpdateCustomerBody, v0Body),
  ]);
  problems.push(...(stax.messages ?? []), ...(v0.messages ?? []));
  if (stax.value) {
    const echoed = echoedFieldsProblem(stax.value, opts.merchantId);
    if (echoed) problems.push(echoed);
  }
  if (problems.length || !stax.value || !v0.value) return refused(problems);
  return { target, patch: { ...staxPatch(stax.value), ...v0Patch(v0.value) } };
}
