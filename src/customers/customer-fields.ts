/**
 * The customer's fields, declared once. For each field a client can write: its name on each
 * surface, its width, and the value a new customer gets when the create leaves it out.
 *
 * Derived from this table: the entity's column widths and `CustomerWritable` (customer.entity.ts),
 * `WRITABLE_FIELDS`, `CUSTOMER_DEFAULTS` (customer-rules.ts), the Stax surface's writable fields
 * and the v0 name map in both directions.
 * Checked against it by tests: the request and response schemas of both surfaces
 * (customer-fields.spec.ts) and the columns the migrations made (test/schema.e2e-spec.ts).
 */
interface FieldSpec {
  /** Shown and written on the Stax surface, under the stored name. */
  stax: boolean;
  /** Its name and width on the v0 surface, when v0 shows it (a v0 width may be narrower). */
  v0?: { name: string; maxLength?: number };
  /** Width in characters of a text column; JSON, boolean and `notes` (TEXT) have none. */
  maxLength?: number;
  /** What a new customer has when the create does not send the field. */
  default: null | boolean | string;
}

export const CUSTOMER_FIELDS = {
  firstname: { stax: true, v0: { name: 'first_name', maxLength: 100 }, maxLength: 255, default: null },
  lastname: { stax: true, v0: { name: 'last_name', maxLength: 100 }, maxLength: 255, default: null },
  company: { stax: true, maxLength: 255, default: null },
  email: { stax: true, v0: { name: 'email', maxLength: 255 }, maxLength: 255, default: null },
  cc_emails: { stax: true, default: null },
  cc_sms: { stax: true, default: null },
  phone: { stax: true, v0: { name: 'phone_number', maxLength: 20 }, maxLength: 20, default: null },
  address_1: { stax: true, maxLength: 255, default: null },
  address_2: { stax: true, maxLength: 255, default: null },
  address_city: { stax: true, maxLength: 255, default: null },
  address_state: { stax: true, maxLength: 64, default: null },
  address_zip: { stax: true, maxLength: 16, default: null },
  address_country: { stax: true, maxLength: 3, default: null },
  /** TEXT: 65,535 bytes on MySQL, so 21,844 characters of up to three bytes each. */
  notes: { stax: true, default: null },
  reference: { stax: true, maxLength: 255, default: null },
  options: { stax: true, default: null },
  allow_invoice_credit_card_payments: { stax: true, default: true },
  customer_type: { stax: false, v0: { name: 'customer_type' }, maxLength: 32, default: 'Individual' },
  status: { stax: false, v0: { name: 'status' }, maxLength: 16, default: 'ACTIVE' },
} as const satisfies Record<string, FieldSpec>;

/** Characters a client may put in `notes` (the column is TEXT; see CUSTOMER_FIELDS.notes). */
export const NOTES_MAX_CHARS = 21844;

export type WritableField = keyof typeof CUSTOMER_FIELDS;

export const WRITABLE_FIELDS = Object.keys(CUSTOMER_FIELDS) as WritableField[];

export type StaxField = {
  [F in WritableField]: (typeof CUSTOMER_FIELDS)[F] extends { stax: true } ? F : never;
}[WritableField];

/** The fields the Stax surface writes (all but the v0-only ones). */
export const STAX_WRITABLE_FIELDS = WRITABLE_FIELDS.filter((f): f is StaxField => CUSTOMER_FIELDS[f].stax);

type V0Named = {
  [F in WritableField]: (typeof CUSTOMER_FIELDS)[F] extends { v0: { name: string } } ? F : never;
}[WritableField];
export type V0FieldName = (typeof CUSTOMER_FIELDS)[V0Named]['v0']['name'];

/** v0 field name → stored name, for the fields v0 writes. */
export const V0_TO_STORED = Object.fromEntries(
  WRITABLE_FIELDS.flatMap((f) => {
    const spec: FieldSpec = CUSTOMER_FIELDS[f];
    return spec.v0 ? [[spec.v0.name, f]] : [];
  }),
) as Record<V0FieldName, V0Named>;

/** Stored name → v0 name, for the fields v0 names differently (audit entries speak v0's names). */
export const STORED_TO_V0 = Object.fromEntries(
  Object.entries(V0_TO_STORED)
    .filter(([v0, stored]) => v0 !== stored)
    .map(([v0, stored]) => [stored, v0]),
) as Partial<Record<string, V0FieldName>>;

/** Width in characters of a text column, for the entity. */
export function columnWidth(field: WritableField): number {
  const spec: FieldSpec = CUSTOMER_FIELDS[field];
  if (spec.maxLength === undefined) throw new Error(`${field} has no column width`);
  return spec.maxLength;
}
