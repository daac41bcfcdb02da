/**
 * The items of a batch, checked and translated exactly as each surface's single write checks its
 * body (the same classes, pipe options and messages), and the batch's answer in the surface's own
 * shape. A bad item becomes a failed result in its place, never a 400 for the whole batch.
 */
import { BadRequestException } from '@nestjs/common';
import { validateAs } from '../common/validation';
import type { Customer } from './customer.entity';
import { versionTag } from './customer-rules';
import { toStaxCustomer, toV0Customer } from './customer.views';
import { BulkItem, BulkOutcome, bulkFailed } from './customers.service';
import { StaxCustomerBody } from './dto/stax-customer.dto';
import { V0CreateCustomerBody, V0UpdateCustomerBody } from './dto/v0-customer.dto';
import { echoedFieldsProblem, staxPatch, v0Patch } from './surface-patch';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ITEM_NOT_OBJECT = 'item must be a JSON object';

/** The item's own fields (id, etag) checked, and the rest of it to check as a body. */
function split(raw: unknown): {
  id?: string;
  etag?: string;
  body: Record<string, unknown>;
  problems: string[];
} {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { body: {}, problems: [ITEM_NOT_OBJECT] };
  const { id, etag, ...body } = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (id !== undefined && (typeof id !== 'string' || !UUID.test(id)))
    problems.push('Customer ID must be a valid UUID');
  if (etag !== undefined && typeof etag !== 'string') problems.push('etag must be a string');
  return {
    id: typeof id === 'string' ? id.toLowerCase() : undefined,
    etag: typeof etag === 'string' ? etag : undefined,
    body,
    problems,
  };
}

function item(id: string | undefined, etag: string | undefined, patch: BulkItem['patch']): BulkItem {
  return { target: id ? { by: 'id', id } : undefined, patch, ifMatch: etag };
}

function invalid(messages: string[]): BulkItem {
  return { patch: {}, invalid: new BadRequestException(messages) };
}

/** A Stax item: StaxCustomerBody as POST and PUT /customer check it. */
export async function staxBulkItem(raw: unknown, merchantId: string): Promise<BulkItem> {
  const { id, etag, body, problems } = split(raw);
  if (problems[0] === ITEM_NOT_OBJECT) return invalid(problems);
  const checked = await validateAs(StaxCustomerBody, body);
  if (checked.messages) return invalid([...problems, ...checked.messages]);
  const echoed = echoedFieldsProblem(checked.value, merchantId);
  if (echoed) problems.push(echoed);
  return problems.length ? invalid(problems) : item(id, etag, staxPatch(checked.value));
}

/** A v0 item: with an id as PATCH checks it, without as POST does. */
export async function v0BulkItem(raw: unknown): Promise<BulkItem> {
  const { id, etag, body, problems } = split(raw);
  if (problems[0] === ITEM_NOT_OBJECT) return invalid(problems);
  const checked = id
    ? await validateAs(V0UpdateCustomerBody, body)
    : await validateAs(V0CreateCustomerBody, body);
  if (checked.messages) return invalid([...problems, ...checked.messages]);
  return problems.length ? invalid(problems) : item(id, etag, v0Patch(checked.value));
}

/** The batch's answer: a summary, then one result per item with the customer in the surface's shape. */
function presentBulk<V>({ atomic, results }: BulkOutcome, view: (c: Customer) => V) {
  const failed = results.filter(bulkFailed).length;
  return {
    atomic,
    succeeded: results.length - failed,
    failed,
    results: results.map((r) =>
      bulkFailed(r)
        ? { index: r.index, status: r.status, error: r.error }
        : { index: r.index, status: r.status, etag: versionTag(r.customer), customer: view(r.customer) },
    ),
  };
}

/** The Stax bulk route's presenter (see presenter.ts): also what an idempotent retry replays. */
export const presentStaxBulk = (o: BulkOutcome) => ({ body: presentBulk(o, toStaxCustomer), etag: null });

export const presentV0Bulk = (o: BulkOutcome) => ({ body: presentBulk(o, toV0Customer), etag: null });
