/** Explicit mapping from the stored customer to each surface's response shape. */
import type { AuditEntry, FieldChanges } from '../audit/audit-entry.entity';
import type { Customer } from './customer.entity';
import { STORED_TO_V0 } from './customer-fields';
import { gravatar, missingAddressComponents } from './customer-rules';

/** Stax timestamps: `2024-03-22 14:15:30`, UTC. */
export function staxTimestamp(d: Date | null): string | null {
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : null;
}

export function toStaxCustomer(c: Customer) {
  const missing = missingAddressComponents(c);
  return {
    id: c.id,
    firstname: c.firstname,
    lastname: c.lastname,
    company: c.company,
    email: c.email,
    cc_emails: c.cc_emails ?? [],
    cc_sms: c.cc_sms ?? [],
    phone: c.phone,
    address_1: c.address_1,
    address_2: c.address_2,
    address_city: c.address_city,
    address_state: c.address_state,
    address_zip: c.address_zip,
    address_country: c.address_country,
    notes: c.notes,
    reference: c.reference,
    options: c.options,
    allow_invoice_credit_card_payments: c.allow_invoice_credit_card_payments,
    created_at: staxTimestamp(c.created_at),
    updated_at: staxTimestamp(c.updated_at),
    deleted_at: staxTimestamp(c.deleted_at),
    gravatar: gravatar(c.email),
    has_address: missing.length === 0,
    missing_address_components: missing,
  };
}

export type StaxCustomer = ReturnType<typeof toStaxCustomer>;

/** Read-only fields of the Stax view: a client may send them back, they change nothing. */
export const STAX_READ_ONLY_FIELDS = [
  'id',
  'created_at',
  'updated_at',
  'deleted_at',
  'gravatar',
  'has_address',
  'missing_address_components',
] as const;

export function toV0Customer(c: Customer) {
  return {
    id: c.id,
    first_name: c.firstname,
    last_name: c.lastname,
    email: c.email,
    phone_number: c.phone,
    customer_type: c.customer_type,
    status: c.status,
    last_spent: c.last_spent,
    last_purchase_date: c.last_purchase_date ? c.last_purchase_date.toISOString() : null,
    appId: c.merchant_id,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

export type V0Customer = ReturnType<typeof toV0Customer>;

/** The v0 surface names some fields differently; its audit entries speak its own names. */
export function v0Changes(changes: FieldChanges): FieldChanges {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [STORED_TO_V0[k] ?? k, v]));
}

export function toStaxAuditEntry(e: AuditEntry) {
  return {
    id: e.id,
    customer_id: e.customer_id,
    action: e.action,
    changes: e.changes,
    actor: e.actor,
    request_id: e.request_id,
    idempotency_key: e.idempotency_key,
    created_at: staxTimestamp(e.created_at),
  };
}

export function toV0AuditEntry(e: AuditEntry) {
  return {
    id: e.id,
    customer_id: e.customer_id,
    action: e.action,
    changes: v0Changes(e.changes),
    actor: e.actor,
    request_id: e.request_id,
    idempotency_key: e.idempotency_key,
    createdAt: e.created_at.toISOString(),
  };
}
