/**
 * The write rules of the customer (docs/behaviour.md, "The customer"), as pure functions shared
 * by both API surfaces.
 * Field names are the stored (Stax) names; the v0 surface translates its names before calling in.
 */
import { createHash } from 'node:crypto';
import countries from 'i18n-iso-countries';
import type { FieldChanges } from '../audit/audit-entry.entity';
import { canonicalJson } from '../common/canonical-json';
import type { Customer, CustomerPatch, CustomerWritable } from './customer.entity';
import { CUSTOMER_FIELDS, WRITABLE_FIELDS } from './customer-fields';

/** A new customer's values for the fields its create does not send. */
export const CUSTOMER_DEFAULTS = Object.fromEntries(
  WRITABLE_FIELDS.map((f) => [f, CUSTOMER_FIELDS[f].default]),
) as unknown as CustomerWritable;

export const IDENTITY_RULE_MESSAGE =
  'Customer requires at least one of firstname, lastname, email or company';

// ---- single-value rules -------------------------------------------------------------------

/** 10–15 digits, written with digits, spaces, '-', '.', '(', ')' and an optional leading '+'. */
export function isValidPhone(value: string): boolean {
  if (value.length > 20 || !/^\+?[0-9 .()-]+$/.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  return digits >= 10 && digits <= 15;
}

/**
 * ISO 3166-1 alpha-3, any case. Returns null when valid, else the reason, with a hint for the
 * common mistake of sending an alpha-2 code.
 */
export function countryCodeProblem(value: string): string | null {
  const upper = value.toUpperCase();
  if (/^[A-Z]{3}$/.test(upper) && countries.alpha3ToAlpha2(upper)) return null;
  if (/^[A-Z]{2}$/.test(upper)) {
    const alpha3 = countries.alpha2ToAlpha3(upper);
    if (alpha3) return `address_country must be an ISO 3166-1 alpha-3 code (did you mean ${alpha3}?)`;
  }
  return 'address_country must be an ISO 3166-1 alpha-3 country code, such as USA or GBR';
}

export function gravatar(email: string | null): string | false {
  if (!email || !email.trim()) return false;
  return '//www.gravatar.com/avatar/' + createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

export const ADDRESS_COMPONENTS = ['address_1', 'address_city', 'address_state', 'address_zip'] as const;

export function missingAddressComponents(
  c: Pick<CustomerWritable, (typeof ADDRESS_COMPONENTS)[number]>,
): string[] {
  return ADDRESS_COMPONENTS.filter((k) => !c[k]);
}

/** The lower-cased email that the unique index sees; null for a deleted customer or no email. */
export function emailKey(email: string | null, deleted: boolean): string | null {
  return !deleted && email ? email.trim().toLowerCase() : null;
}

// ---- normalising, merging and diffing ------------------------------------------------------

/**
 * What a client sent, as it will be stored: empty strings, empty lists and null clear a field, and
 * address_country is stored upper case. Fields absent from the patch stay absent.
 */
export function normalizePatch(patch: CustomerPatch): CustomerPatch {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (typeof value === 'string' && value.trim() === '') out[key] = null;
    else if (Array.isArray(value) && value.length === 0) out[key] = null;
    else if (key === 'address_country' && typeof value === 'string') out[key] = value.toUpperCase();
    else out[key] = value;
  }
  // Fields that may not be null fall back to their default when cleared.
  if (out.allow_invoice_credit_card_payments === null) out.allow_invoice_credit_card_payments = true;
  return out;
}

export function writableOf(c: CustomerWritable): CustomerWritable {
  const out: Partial<Record<keyof CustomerWritable, unknown>> = {};
  for (const k of WRITABLE_FIELDS) out[k] = c[k];
  return out as CustomerWritable;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** Field-by-field differences, only for fields that really changed. */
export function diff(before: CustomerWritable, after: CustomerWritable): FieldChanges {
  const changes: FieldChanges = {};
  for (const k of WRITABLE_FIELDS) {
    if (!sameValue(before[k], after[k])) changes[k] = { from: before[k], to: after[k] };
  }
  return changes;
}

export function satisfiesIdentityRule(
  c: Pick<CustomerWritable, 'firstname' | 'lastname' | 'email' | 'company'>,
) {
  return [c.firstname, c.lastname, c.email, c.company].some((v) => typeof v === 'string' && v.trim() !== '');
}

/** Get-then-merge: the stored customer with only the patch's fields replaced. */
export function merge(current: CustomerWritable, patch: CustomerPatch): CustomerWritable {
  return { ...current, ...normalizePatch(patch) };
}

/** Strong validator of a customer's version: the ETag of every response and what If-Match names. */
export function versionTag(c: Pick<Customer, 'version'>): string {
  return `"${c.version}"`;
}
