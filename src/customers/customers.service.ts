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
import { CustomerChanges } from './customer-changes';
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

/** What one write did: the customer as it now is, and the audit entries that record the change (none when nothing changed). */
interface Written {
  customer: Customer;
  audit: AuditRecord[];
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
    const fields = merge(CUSTOMER_DEFAULTS, patch);
    if (opts.identityRule && !satisfiesIdentityRule(fields))
      throw new BadRequestException([IDENTITY_RULE_MESSAGE]);
    return this.write(ctx, async (tx) => {
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
      this.customers.insert(tx, customer);
      return { customer, audit: [{ action: 'customer.created', changes: diff(CUSTOMER_DEFAULTS, fields) }] };
    });
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

  /**
   * Partial update: lock the row, merge the patch into what is stored, check the rules on the
   * merged result, write only if something changed. Concurrent updates of one customer queue on
   * the row lock, so none loses another's fields.
   */
  async update(ctx: RequestContext, id: string, patch: CustomerPatch, opts: WriteOptions): Promise<Customer> {
    return this.write(ctx, async (tx) => {
      const current = await this.lockLive(tx, ctx, id, opts.ifMatch);
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
        email_key: emailKey(after.email, false),
        version: current.version + 1,
        updated_at: now,
      };
      this.customers.update(tx, ctx.principal.merchantId, id, values);
      const audit: AuditRecord[] = [{ action: 'customer.updated', changes }];
      if (changes.status)
        audit.push({ action: 'customer.status_changed', changes: { status: changes.status } });
      return { customer: { ...current, ...values }, audit };
    });
  }

  async remove(ctx: RequestContext, id: string, opts: LifecycleOptions): Promise<Customer> {
    return this.write(ctx, async (tx) => {
      const current = await this.lockLive(tx, ctx, id, opts.ifMatch);
      const now = new Date();
      const values = { deleted_at: now, email_key: null, version: current.version + 1, updated_at: now };
      this.customers.update(tx, ctx.principal.merchantId, id, values);
      return {
        customer: { ...current, ...values },
        audit: [
          { action: 'customer.deleted', changes: { deleted_at: { from: null, to: now.toISOString() } } },
        ],
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
      this.customers.update(tx, ctx.principal.merchantId, id, values);
      const restored = { deleted_at: { from: current.deleted_at.toISOString(), to: null } };
      return {
        customer: { ...current, ...values },
        audit: [{ action: 'customer.restored', changes: restored }],
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

  private async lockLive(
    tx: SqlTransaction,
    ctx: RequestContext,
    id: string,
    ifMatch?: string,
  ): Promise<Customer> {
    const current = await this.customers.findForUpdate(tx, ctx.principal.merchantId, id);
    if (!current || current.deleted_at) throw new NotFoundException(CUSTOMER_NOT_FOUND);
    checkIfMatch(current, ifMatch);
    return current;
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
   * Runs one write in one transaction: the change, its audit entries, the steps other modules
   * add to every change (CustomerChanges), then the request's own before-commit step, all
   * committed together or not at all. A unique-email violation becomes
   * 409, and a MySQL deadlock (the database rolled everything back) is simply run again.
   */
  private async write(ctx: RequestContext, fn: (tx: SqlTransaction) => Promise<Written>): Promise<Customer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          const { customer, audit } = await fn(tx);
          if (audit.length > 0) {
            // Entries are dated as the change: its updated_at (created_at for a new customer).
            this.audit.record(tx, ctx, customer.id, audit, customer.updated_at);
            await this.changes.run(tx, { ctx, customer, audit });
          }
          await ctx.beforeCommit?.(tx, customer);
          return customer;
        });
      } catch (err) {
        if (uniqueViolation(err) === 'uq_customers_merchant_email') throw new ConflictException(EMAIL_TAKEN);
        if (isDeadlock(err) && attempt < MAX_DEADLOCK_RETRIES) continue;
        throw err;
      }
    }
  }
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
