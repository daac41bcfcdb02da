/**
 * The customer's fields are declared once (customer-fields.ts); these tests hold the request and
 * response schemas of both surfaces, and the request validation, to that declaration. (The columns
 * the migrations make are held to it by test/schema.e2e-spec.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  CUSTOMER_FIELDS,
  NOTES_MAX_CHARS,
  STAX_WRITABLE_FIELDS,
  STORED_TO_V0,
  V0_TO_STORED,
  WRITABLE_FIELDS,
  WritableField,
} from './customer-fields';
import { CUSTOMER_DEFAULTS } from './customer-rules';
import { StaxCustomerBody } from './dto/stax-customer.dto';

interface Schema {
  properties: Record<string, { maxLength?: number }>;
}
const schemas = (
  JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  }
).components.schemas;

const schemasNamed = (pattern: RegExp) =>
  Object.keys(schemas)
    .filter((n) => pattern.test(n))
    .map((n) => [n, schemas[n]] as const);

const staxSchemas = schemasNamed(/^Stax\w*Customer(Body|View)$/);
const v0Schemas = schemasNamed(/^V0\w*Customer(Body|View)$/);

/** The width the Stax surface allows: the column's, or TEXT's for notes. */
function staxWidth(f: WritableField): number | undefined {
  if (f === 'notes') return NOTES_MAX_CHARS;
  return (CUSTOMER_FIELDS[f] as { maxLength?: number }).maxLength;
}

describe('the customer field declaration', () => {
  it('finds the request and response schemas of both surfaces', () => {
    expect(staxSchemas.map(([n]) => n)).toEqual(expect.arrayContaining(['StaxCustomerView']));
    expect(staxSchemas.length).toBeGreaterThanOrEqual(2);
    expect(v0Schemas.map(([n]) => n)).toEqual(expect.arrayContaining(['V0CustomerView']));
    expect(v0Schemas.length).toBeGreaterThanOrEqual(3);
  });

  it.each(staxSchemas)('%s has every Stax field, with its declared width, and no v0-only field', (_n, s) => {
    for (const f of WRITABLE_FIELDS) {
      if (!CUSTOMER_FIELDS[f].stax) {
        expect(s.properties[f]).toBeUndefined();
        continue;
      }
      expect(s.properties[f]).toBeDefined();
      expect([f, s.properties[f].maxLength]).toEqual([f, staxWidth(f)]);
    }
  });

  it.each(v0Schemas)('%s names every v0 field as declared, with its v0 width', (_n, s) => {
    for (const [v0, stored] of Object.entries(V0_TO_STORED)) {
      const spec = CUSTOMER_FIELDS[stored].v0 as { name: string; maxLength?: number };
      expect(s.properties[v0]).toBeDefined();
      expect([v0, s.properties[v0].maxLength]).toEqual([v0, spec.maxLength]);
    }
  });

  it('maps v0 names both ways', () => {
    expect(V0_TO_STORED).toEqual({
      first_name: 'firstname',
      last_name: 'lastname',
      email: 'email',
      phone_number: 'phone',
      customer_type: 'customer_type',
      status: 'status',
    });
    expect(STORED_TO_V0).toEqual({ firstname: 'first_name', lastname: 'last_name', phone: 'phone_number' });
  });

  it('derives the writable fields and the defaults of a new customer', () => {
    expect(STAX_WRITABLE_FIELDS).toEqual(
      WRITABLE_FIELDS.filter((f) => f !== 'customer_type' && f !== 'status'),
    );
    expect(CUSTOMER_DEFAULTS).toMatchObject({
      firstname: null,
      allow_invoice_credit_card_payments: true,
      customer_type: 'Individual',
      status: 'ACTIVE',
    });
    expect(Object.keys(CUSTOMER_DEFAULTS)).toEqual(WRITABLE_FIELDS);
  });

  /** The text fields the Stax body checks by length alone (email, phone and country have formats too). */
  const plainText = STAX_WRITABLE_FIELDS.filter(
    (f) => staxWidth(f) !== undefined && !['email', 'phone', 'address_country'].includes(f),
  );

  it.each(plainText)('the Stax body takes %s at its declared width and refuses one character more', (f) => {
    const width = staxWidth(f)!;
    const errorsFor = (value: string) =>
      validateSync(plainToInstance(StaxCustomerBody, { [f]: value })).filter((e) => e.property === f);
    expect(errorsFor('é'.repeat(width))).toEqual([]);
    expect(errorsFor('é'.repeat(width + 1))).toHaveLength(1);
  });
});
