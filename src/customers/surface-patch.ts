/**
 * How each surface's body becomes a patch of stored fields: shared by the surfaces' routes, their
 * bulk routes and the import CLI, so a field means the same wherever it arrives.
 */
import type { CustomerPatch } from './customer.entity';
import { STAX_WRITABLE_FIELDS, V0_TO_STORED } from './customer-fields';
import { MERCHANT_ID_MISMATCH, StaxCustomerBody } from './dto/stax-customer.dto';
import type { V0UpdateCustomerBody } from './dto/v0-customer.dto';

/** The fields of a Stax body that change the customer; the rest of a body is read-only. */
export function staxPatch(body: StaxCustomerBody): CustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const k of STAX_WRITABLE_FIELDS) if (body[k] !== undefined) patch[k] = body[k];
  return patch;
}

/** A v0 body under the stored field names. */
export function v0Patch(body: V0UpdateCustomerBody): CustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const [v0, stored] of Object.entries(V0_TO_STORED)) {
    const value = body[v0 as keyof V0UpdateCustomerBody];
    if (value !== undefined) patch[stored] = value;
  }
  return patch;
}

/**
 * The Stax fields this service does not show may be sent back (a GET-then-PUT from a Stax client),
 * but only with the value the service would show: the caller's own merchant id. (files is checked
 * by the body's own validation: it must be empty.) Returns the problem, or null.
 */
export function echoedFieldsProblem(body: StaxCustomerBody, merchantId: string): string | null {
  const sent = body.merchant_id;
  return sent !== undefined && sent.toLowerCase() !== merchantId.toLowerCase() ? MERCHANT_ID_MISMATCH : null;
}
