import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { AuditEntry } from '../audit/audit-entry.entity';
import { AuditRecord, AuditService } from '../audit/audit.service';
import type { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DatabaseService } from '../database/database.service';
import { isDeadlock, uniqueViolation } from '../database/db-errors';
import type { SqlTransaction } from '../database/sql-transaction';
import { CustomerChange, CustomerChanges } from './customer-changes';
import { Customer, CustomerPatch, CustomerWritable } from './customer.entity';
import {
  CUSTOMER_DEFAULTS,
  diff,
  emailKey,
  IDENTITY_RULE_MESSAGE,
  merge,
  satisfiesIdentityRule,
  versionTag,
  writableOf,
} from './customer-rules';
import { CustomerSearch, CustomersRepository, PageStart, SearchPage } from './customers.repository';

export interface WriteOptions {
  /** Enforce the Stax identity rule (at least one of firstname, lastname, email, company). */
  identityRule: boolean;
  /** If-Match header value: the write happens only if it matches the customer's current version. */
  ifMatch?: string;
}

export interface LifecycleOptions {
  ifMatch?: string;
}

/**
 * What one write decided, its rules already checked: the customer as it will be, the audit entries
 * that record the change (none when nothing changes) and the row to write: a new one, or the
 * columns that change (none for a no-op). Deciding sends no write, so a refused item of a batch
 * leaves nothing behind.
 */
interface Planned {
  customer: Customer;
  audit: AuditRecord[];
  write?: 'insert' | { update: Partial<Customer> };
  /** What the write adds to the merchant's customer counts (customer_counts), if anything. */
  counts?: { live: number; deleted: number };
  /**
   * An update's, soft delete's or restore's customer as stored before it: whose words
   * (customer_words) the write may change, or mark deleted or live.
   */
  before?: Customer;
}

/** Decides one write inside its transaction: reads (and locks) what it needs, applies the rules. */
type Plan = (tx: SqlTransaction) => Promise<Planned>;

/** Which stored customer a bulk item changes: by id, or (import) by email or reference. */
export type BulkTarget = { by: 'id'; id: string } | { by: 'email' | 'reference'; value: string };

/**
 * One item of a batch, already translated to stored field names by its surface. Without a target
 * it is a create; with one, a partial update (by email or reference: a create when none matches).
 * `invalid` is the item's validation failure, reported in its place without touching the database.
 */
export interface BulkItem {
  target?: BulkTarget;
  patch: CustomerPatch;
  ifMatch?: string;
  invalid?: HttpException;
}

export interface BulkOptions {
  identityRule: boolean;
  /** All items or none: the first failure rolls the batch back. */
  atomic: boolean;
  /** The status of a created item, as the surface's single create answers (Stax 200, v0 201). */
  createdStatus: number;
}

export interface BulkError {
  statusCode: number;
  message: string | string[];
}

/** One item's outcome, in request order: its customer, or the error a single write would have answered. */
export type BulkResult =
  | { index: number; status: number; customer: Customer; created: boolean; changed: boolean }
  | { index: number; status: number; error: BulkError };

/** What a batch did: what the request's before-commit step receives and the surfaces present. */
export interface BulkOutcome {
  atomic: boolean;
  results: BulkResult[];
}

export function bulkFailed(r: BulkResult): r is Extract<BulkResult, { error: BulkError }> {
  return 'error' in r;
}

/** A list request: a search, from `skip` matches or after the customer `after`. */
export interface ListRequest extends Omit<CustomerSearch, 'start'> {
  skip: number;
  after?: string;
}

export const AFTER_WITH_OFFSET = 'after cannot be combined with page or skip: it starts the page itself';
export const AFTER_NEEDS_CREATED_AT = 'after pages in created_at order: leave sort out, or sort=created_at';
export const AFTER_UNKNOWN = 'after must be the id of one of your customers';

export const CUSTOMER_NOT_FOUND = 'Customer not found';
export const EMAIL_TAKEN = 'A customer with this email already exists';
export const BULK_MAX_ITEMS = 500;

const MAX_DEADLOCK_RETRIES = 3;

/**
 * The customer rules (docs/behaviour.md), once, for both surfaces: create, get-then-merge update,
 * soft delete and restore. Each write is one transaction holding the change, its audit entries
 * and the request's before-commit step (RequestContext.beforeCommit).
 */
@Injectable()
export class CustomersService {
  constructor(
    private readonly db: DatabaseService,
    private readonly customers: CustomersRepository,
    private readonly audit: AuditService,
    private readonly changes: CustomerChanges,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.listCountLimit = config.listCountLimit;
  }

  private readonly listCountLimit: number;

  async create(ctx: RequestContext, patch: CustomerPatch, opts: WriteOptions): Promise<Customer> {
    const planned = this.planCreate(ctx, patch, opts);
    return this.write(ctx, () => Promise.resolve(planned));
  }

  /** A customer of the caller's merchant, soft-deleted ones included; 404 otherwise. */
  async get(ctx: RequestContext, id: string, opts: { includeDeleted: boolean }): Promise<Customer> {
    const c = await this.customers.findOne(ctx.principal.merchantId, id);
    if (!c || (!opts.includeDeleted && c.deleted_at)) throw new NotFoundException(CUSTOMER_NOT_FOUND);
    return c;
  }

  /**
   * A page of the merchant's customers (README, "Listing and searching customers"): from `skip`, or
   * right after the customer `after` in created_at order (constant time per page, for a sync that
   * reads everything). A filtered total is counted up to LIST_COUNT_LIMIT; a page that starts past
   * that window is refused, since its place cannot be known.
   */
  async search(ctx: RequestContext, req: ListRequest): Promise<SearchPage> {
    const merchantId = ctx.principal.merchantId;
    let start: PageStart = { skip: req.skip };
    if (req.after !== undefined) {
      if (req.skip > 0) throw new BadRequestException([AFTER_WITH_OFFSET]);
      if (req.sort !== 'created_at') throw new BadRequestException([AFTER_NEEDS_CREATED_AT]);
      const from = await this.customers.findOne(merchantId, req.after.toLowerCase());
      if (!from) throw new BadRequestException([AFTER_UNKNOWN]);
      start = { after: from };
    }
    const page = await this.customers.search(merchantId, { ...req, start }, this.listCountLimit);
    if (!page.exact && req.skip >= this.listCountLimit) {
      throw new BadRequestException([
        `This search matches more than ${this.listCountLimit} customers, so pages past that many are not ` +
          'counted: narrow the search, or read on with after=<the last id of a page>',
      ]);
    }
    return page;
  }

  /** One page of an export: the customers after `after` in (created_at, id) order (keyset). */
  exportPage(
    merchantId: string,
    after: Customer | null,
    filter: { trashed: 'without' | 'with' | 'only'; updatedSince?: Date },
    take: number,
  ): Promise<Customer[]> {
    return this.customers.exportPage(merchantId, after, filter, take);
  }

  /**
   * Partial update: lock the row, merge the patch into what is stored, check the rules on the
   * merged result, write only if something changed. Concurrent updates of one customer queue on
   * the row lock, so none loses another's fields.
   */
  async update(ctx: RequestContext, id: string, patch: CustomerPatch, opts: WriteOptions): Promise<Customer> {
    return this.write(ctx, async (tx) => {
      const current = await this.customers.findForUpdate(tx, ctx.principal.merchantId, id);
      return this.planUpdate(ctx, live(current, opts.ifMatch), patch, opts);
    });
  }

  /**
   * Up to BULK_MAX_ITEMS creates and partial updates in one transaction, each item through the
   * same plan, rules, audit entries and CustomerChanges steps as a single write, with results in
   * request order. The rows the batch updates are locked up front in one statement.
   *
   * Items are independent unless `atomic`: each runs under its own SAVEPOINT only when it has to.
   * The fast way sends every item's statements with the COMMIT (one round trip for the whole
   * batch on MySQL); if the database then refuses one (an email a stored customer holds, two
   * items taking one email), the batch runs again carefully, one savepoint per item, so only the
   * refused items fail. The request's before-commit step (the stored idempotent response, the
   * import's checkpoint) receives the results and commits with them.
   */
  async bulk(ctx: RequestContext, items: BulkItem[], opts: BulkOptions): Promise<BulkOutcome> {
    const atomic = opts.atomic;
    if (atomic && items.some((i) => i.invalid)) {
      const invalid = items.flatMap((item, index) =>
        item.invalid ? [errorResult(index, item.invalid)] : [],
      );
      return { atomic, results: notApplied(invalid, items.length) };
    }
    let careful = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          const results = await this.bulkIn(tx, ctx, items, opts, careful);
          if (atomic && results.some(bulkFailed)) throw new AtomicRollback(results);
          // A batch only creates and updates: what it adds is the count of items it created
          // (a refused item's statements were rolled back or never sent).
          const created = results.filter((r) => !bulkFailed(r) && r.created).length;
          this.customers.addToCounts(tx, ctx.principal.merchantId, { live: created, deleted: 0 });
          const outcome = { atomic, results };
          await ctx.beforeCommit?.(tx, outcome);
          return outcome;
        });
      } catch (err) {
        if (err instanceof AtomicRollback) return { atomic, results: notApplied(err.results, items.length) };
        // A refusal the fast way cannot pin on one item (the database's, or a CustomerChanges
        // step's after the item's statements were queued): find out item by item.
        if (!careful && (uniqueViolation(err) !== undefined || err instanceof HttpException)) {
          careful = true;
          attempt--;
          continue;
        }
        if (isDeadlock(err) && attempt < MAX_DEADLOCK_RETRIES) continue;
        throw err;
      }
    }
  }

  async remove(ctx: RequestContext, id: string, opts: LifecycleOptions): Promise<Customer> {
    return this.write(ctx, async (tx) => {
      const current = live(
        await this.customers.findForUpdate(tx, ctx.principal.merchantId, id),
        opts.ifMatch,
      );
      const now = new Date();
      const values = { deleted_at: now, email_key: null, version: current.version + 1, updated_at: now };
      return {
        customer: { ...current, ...values },
        audit: [
          { action: 'customer.deleted', changes: { deleted_at: { from: null, to: now.toISOString() } } },
        ],
        write: { update: values },
        counts: { live: -1, deleted: 1 },
        before: current,
      };
    });
  }

  /** Brings a soft-deleted customer back; 409 if its email now belongs to another live customer. */
  async restore(ctx: RequestContext, id: string, opts: LifecycleOptions): Promise<Customer> {
    return this.write(ctx, async (tx) => {
      const current = await this.customers.findForUpdate(tx, ctx.principal.merchantId, id);
      if (!current) throw new NotFoundException(CUSTOMER_NOT_FOUND);
      checkIfMatch(current, opts.ifMatch);
      if (!current.deleted_at) return { customer: current, audit: [] };
      const now = new Date();
      const values = {
        deleted_at: null,
        email_key: emailKey(current.email, false),
        version: current.version + 1,
        updated_at: now,
      };
      const restored = { deleted_at: { from: current.deleted_at.toISOString(), to: null } };
      return {
        customer: { ...current, ...values },
        audit: [{ action: 'customer.restored', changes: restored }],
        write: { update: values },
        counts: { live: 1, deleted: -1 },
        before: current,
      };
    });
  }

  /** The customer's audit log, newest first; 404 if the customer is not the caller's. */
  async auditLog(
    ctx: RequestContext,
    id: string,
    skip: number,
    take: number,
  ): Promise<{ entries: AuditEntry[]; total: number }> {
    if (!(await this.customers.exists(ctx.principal.merchantId, id)))
      throw new NotFoundException(CUSTOMER_NOT_FOUND);
    return this.audit.list(ctx.principal.merchantId, id, skip, take);
  }

  /** A new customer from the defaults and the patch, once the rules allow it. */
  private planCreate(ctx: RequestContext, patch: CustomerPatch, opts: WriteOptions): Planned {
    const fields = merge(CUSTOMER_DEFAULTS, patch);
    if (opts.identityRule && !satisfiesIdentityRule(fields))
      throw new BadRequestException([IDENTITY_RULE_MESSAGE]);
    const now = new Date();
    const customer: Customer = {
      ...fields,
      id: randomUUID(),
      merchant_id: ctx.principal.merchantId,
      email_key: emailKey(fields.email, false),
      last_spent: 0,
      last_purchase_date: null,
      version: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    return {
      customer,
      audit: [{ action: 'customer.created', changes: diff(CUSTOMER_DEFAULTS, fields) }],
      write: 'insert',
      counts: { live: 1, deleted: 0 },
    };
  }

  /** Get-then-merge of a patch into the (locked) stored customer: nothing to write when nothing changes. */
  private planUpdate(
    ctx: RequestContext,
    current: Customer,
    patch: CustomerPatch,
    opts: { identityRule: boolean },
  ): Planned {
    const before = writableOf(current);
    const after = merge(before, patch);
    const changes = diff(before, after);
    if (Object.keys(changes).length === 0) return { customer: current, audit: [] };
    if (opts.identityRule && !satisfiesIdentityRule(after))
      throw new BadRequestException([IDENTITY_RULE_MESSAGE]);
    this.checkStatusChange(ctx, before, after);

    const now = new Date();
    const values: Partial<Customer> = {
      ...pick(after, Object.keys(changes) as (keyof CustomerWritable)[]),
      version: current.version + 1,
      updated_at: now,
    };
    // Only when it changes: on SQLite, setting the unique index's column rewrites its entry even
    // to the same value, one more page per commit (README, "Performance": "PUT, final quiet A/B").
    const key = emailKey(after.email, false);
    if (key !== current.email_key) values.email_key = key;
    const audit: AuditRecord[] = [{ action: 'customer.updated', changes }];
    if (changes.status)
      audit.push({ action: 'customer.status_changed', changes: { status: changes.status } });
    return {
      customer: { ...current, ...values },
      audit,
      write: { update: values },
      before: current,
    };
  }

  /**
   * Every item of a batch inside one transaction. Careful: one SAVEPOINT per item, its statements
   * sent before the next item starts, so a statement the database refuses fails that item alone.
   * Otherwise statements wait for the COMMIT, and a refusal there fails the whole attempt.
   */
  private async bulkIn(
    tx: SqlTransaction,
    ctx: RequestContext,
    items: BulkItem[],
    opts: BulkOptions,
    careful: boolean,
  ): Promise<BulkResult[]> {
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = this.db.dialect;
    const stored = await this.lockTargets(tx, ctx.principal.merchantId, items);
    const results: BulkResult[] = [];
    // The fast way queues the whole batch's writes at the end, in a few statements.
    const fast: Planned[] = [];
    for (const [index, item] of items.entries()) {
      if (item.invalid) {
        results.push(errorResult(index, item.invalid));
        if (opts.atomic) break;
        continue;
      }
      let planned: Planned;
      try {
        planned = this.planItem(ctx, stored, item, opts);
      } catch (err) {
        // Refused by the rules before anything was queued: nothing to undo.
        results.push(errorResult(index, asHttpError(err)));
        if (opts.atomic) break;
        continue;
      }
      if (careful) tx.defer(savepoint('bulk_item'));
      try {
        if (careful) {
          await this.commitStep(tx, ctx, planned);
          await tx.query(releaseSavepoint('bulk_item'));
        } else fast.push(planned);
      } catch (err) {
        if (!careful) throw err;
        tx.defer(rollbackToSavepoint('bulk_item'));
        await tx.query(releaseSavepoint('bulk_item'));
        results.push(errorResult(index, asHttpError(err)));
        if (opts.atomic) break;
        continue;
      }
      stored.put(planned.customer);
      const created = planned.audit[0]?.action === 'customer.created';
      results.push({
        index,
        status: created ? opts.createdStatus : 200,
        customer: planned.customer,
        created,
        changed: planned.audit.length > 0,
      });
    }
    if (!careful) await this.changes.run(tx, this.queueBatch(tx, ctx, fast));
    return results;
  }

  /** Locks, in one statement per kind of target, the stored customers the batch may change. */
  private async lockTargets(tx: SqlTransaction, merchantId: string, items: BulkItem[]): Promise<StoredIndex> {
    const wanted = { id: new Set<string>(), email: new Set<string>(), reference: new Set<string>() };
    for (const { target, invalid } of items) {
      if (!target || invalid) continue;
      if (target.by === 'id') wanted.id.add(target.id);
      else if (target.by === 'email') wanted.email.add(target.value.trim().toLowerCase());
      else wanted.reference.add(target.value);
    }
    const found: Customer[] = [];
    if (wanted.id.size) found.push(...(await this.customers.lockMany(tx, merchantId, 'id', [...wanted.id])));
    if (wanted.email.size)
      found.push(...(await this.customers.lockMany(tx, merchantId, 'email_key', [...wanted.email])));
    if (wanted.reference.size)
      found.push(...(await this.customers.lockMany(tx, merchantId, 'reference', [...wanted.reference])));
    const index = new StoredIndex();
    for (const c of found) index.put(c);
    return index;
  }

  /** An item's plan against the customers locked for the batch (and the batch's earlier items). */
  private planItem(ctx: RequestContext, stored: StoredIndex, item: BulkItem, opts: BulkOptions): Planned {
    const { target } = item;
    if (!target) return this.planCreate(ctx, item.patch, opts);
    let current: Customer | undefined;
    if (target.by === 'id') {
      current = stored.byId.get(target.id);
      if (!current) throw new NotFoundException(CUSTOMER_NOT_FOUND);
    } else if (target.by === 'email') {
      current = stored.byEmail.get(target.value.trim().toLowerCase());
    } else {
      const matches = stored.byReference(target.value);
      if (matches.length > 1)
        throw new ConflictException(`reference ${target.value} matches ${matches.length} customers`);
      current = matches[0];
    }
    if (!current) return this.planCreate(ctx, item.patch, opts);
    return this.planUpdate(ctx, live(current, item.ifMatch), item.patch, opts);
  }

  /**
   * The write step every change goes through, in the caller's transaction: the change, its audit
   * entries (dated as the change: its updated_at, created_at for a new customer) and the steps other
   * modules add to every change (CustomerChanges). A no-op writes nothing and runs no step.
   */
  private async commitStep(tx: SqlTransaction, ctx: RequestContext, planned: Planned): Promise<void> {
    const change = this.queueChange(tx, ctx, planned);
    if (change) await this.changes.run(tx, [change]);
  }

  /** The change and its audit entries, queued without the CustomerChanges steps; null for a no-op. */
  private queueChange(tx: SqlTransaction, ctx: RequestContext, planned: Planned): CustomerChange | null {
    const { customer, audit, write } = planned;
    if (audit.length === 0 || !write) return null;
    const merchantId = ctx.principal.merchantId;
    if (write === 'insert') this.customers.insert(tx, [customer]);
    else this.customers.update(tx, merchantId, [{ id: customer.id, values: write.update }]);
    if (write === 'insert' || planned.before)
      this.customers.writeWords(tx, merchantId, [{ before: planned.before ?? null, after: customer }]);
    this.audit.record(tx, ctx, [{ customerId: customer.id, records: audit, at: customer.updated_at }]);
    return { ctx, customer, audit };
  }

  /**
   * A batch's changes, queued as a handful of statements rather than two per item: the updates
   * (one per customer, with every column its items changed, grouped by those columns), the new
   * customers (in their latest state, when later items of the batch changed them too), and every
   * audit entry in item order; without the CustomerChanges steps. The same rows as item by item.
   */
  private queueBatch(tx: SqlTransaction, ctx: RequestContext, planned: Planned[]): CustomerChange[] {
    const inserts = new Map<string, Customer>();
    const updates = new Map<string, Partial<Customer>>();
    // Per customer: as stored before the batch (null for a new one) and after its last item.
    const words = new Map<string, { before: Customer | null; after: Customer }>();
    const changes: CustomerChange[] = [];
    for (const { customer, audit, write, before } of planned) {
      if (audit.length === 0 || !write) continue;
      const { id } = customer;
      if (write === 'insert' || inserts.has(id)) inserts.set(id, customer);
      else updates.set(id, { ...updates.get(id), ...write.update });
      const first = words.get(id);
      if (first) first.after = customer;
      else if (write === 'insert' || before) words.set(id, { before: before ?? null, after: customer });
      changes.push({ ctx, customer, audit });
    }
    // Updates first: an item that frees an email lets a later one take it.
    const merchantId = ctx.principal.merchantId;
    this.customers.update(
      tx,
      merchantId,
      [...updates].map(([id, values]) => ({ id, values })),
    );
    this.customers.insert(tx, [...inserts.values()]);
    this.customers.writeWords(tx, merchantId, [...words.values()]);
    this.audit.record(
      tx,
      ctx,
      changes.map((c) => ({ customerId: c.customer.id, records: c.audit, at: c.customer.updated_at })),
    );
    return changes;
  }

  /** BLACKLISTED → ACTIVE needs the customers:reactivate scope. */
  private checkStatusChange(ctx: RequestContext, before: CustomerWritable, after: CustomerWritable): void {
    if (
      before.status === 'BLACKLISTED' &&
      after.status === 'ACTIVE' &&
      !ctx.principal.scopes.has('customers:reactivate')
    ) {
      throw new ForbiddenException(
        'Moving a customer from BLACKLISTED to ACTIVE requires an API key with the customers:reactivate scope',
      );
    }
  }

  /**
   * Runs one write in its own transaction: the write step (commitStep), then the request's own
   * before-commit step, all committed together or not at all. A unique-email violation becomes
   * 409, and a MySQL deadlock (the database rolled everything back) is simply run again.
   */
  private async write(ctx: RequestContext, plan: Plan): Promise<Customer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          const planned = await plan(tx);
          await this.commitStep(tx, ctx, planned);
          if (planned.audit.length > 0 && planned.counts)
            this.customers.addToCounts(tx, ctx.principal.merchantId, planned.counts);
          await ctx.beforeCommit?.(tx, planned.customer);
          return planned.customer;
        });
      } catch (err) {
        if (uniqueViolation(err) === 'uq_customers_merchant_email') throw new ConflictException(EMAIL_TAKEN);
        if (isDeadlock(err) && attempt < MAX_DEADLOCK_RETRIES) continue;
        throw err;
      }
    }
  }
}

/** The stored customers a batch works on, kept current as its items change them. */
class StoredIndex {
  readonly byId = new Map<string, Customer>();
  readonly byEmail = new Map<string, Customer>();
  put(c: Customer): void {
    const previous = this.byId.get(c.id);
    if (previous?.email_key && this.byEmail.get(previous.email_key)?.id === c.id)
      this.byEmail.delete(previous.email_key);
    this.byId.set(c.id, c);
    if (c.email_key) this.byEmail.set(c.email_key, c);
  }

  /** Live customers with this reference (references are not unique). */
  byReference(reference: string): Customer[] {
    return [...this.byId.values()].filter((c) => !c.deleted_at && c.reference === reference);
  }
}

/** Thrown inside an atomic batch's transaction to roll it back with its results. */
class AtomicRollback extends Error {
  constructor(readonly results: BulkResult[]) {
    super('atomic batch rolled back');
  }
}

/** The customer if it exists and is not deleted (404 otherwise) and If-Match allows the write. */
function live(current: Customer | null | undefined, ifMatch?: string): Customer {
  if (!current || current.deleted_at) throw new NotFoundException(CUSTOMER_NOT_FOUND);
  checkIfMatch(current, ifMatch);
  return current;
}

/** What a single write would have answered for this error; anything else is not the item's fault. */
function asHttpError(err: unknown): HttpException {
  if (err instanceof HttpException) return err;
  if (uniqueViolation(err) === 'uq_customers_merchant_email') return new ConflictException(EMAIL_TAKEN);
  throw err;
}

function errorResult(index: number, err: HttpException): BulkResult {
  const body = err.getResponse();
  const message =
    typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? err.message);
  return { index, status: err.getStatus(), error: { statusCode: err.getStatus(), message } };
}

/**
 * An atomic batch that failed: each failed item keeps its error; every other item (the ones rolled
 * back and the ones never tried) is 424 naming the first failure.
 */
function notApplied(results: BulkResult[], count: number): BulkResult[] {
  const failed = new Map(results.filter(bulkFailed).map((r) => [r.index, r]));
  const first = Math.min(...failed.keys());
  const message = `Not applied: the batch is atomic and item ${first} failed`;
  return Array.from(
    { length: count },
    (_, index): BulkResult =>
      failed.get(index) ?? { index, status: 424, error: { statusCode: 424, message } },
  );
}

function checkIfMatch(c: Customer, ifMatch?: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes('*') && !tags.includes(versionTag(c))) {
    throw new HttpException(
      'The customer has changed since you read it (If-Match does not match)',
      HttpStatus.PRECONDITION_FAILED,
    );
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
