import {
  countryCodeProblem,
  diff,
  emailKey,
  gravatar,
  IDENTITY_RULE_MESSAGE,
  isValidPhone,
  merge,
  missingAddressComponents,
  normalizePatch,
  satisfiesIdentityRule,
  writableOf,
  CUSTOMER_DEFAULTS,
} from './customer-rules';
import { WRITABLE_FIELDS } from './customer-fields';
import type { CustomerWritable } from './customer.entity';
import type { Customer } from './customer.entity';

/** A stored customer with every writable field set, so "kept" and "cleared" are both visible. */
function stored(over: Partial<CustomerWritable> = {}): CustomerWritable {
  return {
    ...CUSTOMER_DEFAULTS,
    firstname: 'John',
    lastname: 'Smith',
    company: 'Acme Corp',
    email: 'john.smith@example.com',
    cc_emails: ['billing@example.com'],
    cc_sms: ['15555550123'],
    phone: '+1 (555) 555-0123',
    address_1: '123 Main St',
    address_2: 'Suite 100',
    address_city: 'Orlando',
    address_state: 'FL',
    address_zip: '32801',
    address_country: 'USA',
    notes: 'Prefers email',
    reference: 'CRM-0042',
    options: { tier: 'gold', tags: ['a', 'b'] },
    allow_invoice_credit_card_payments: false,
    customer_type: 'Startup',
    status: 'ACTIVE',
    ...over,
  };
}

describe('merge (get-then-merge partial update)', () => {
  it('changes only the fields present in the patch and keeps every absent one', () => {
    const before = stored();
    const after = merge(before, { lastname: 'Jones' });
    expect(after).toEqual({ ...before, lastname: 'Jones' });
  });

  it('treats an explicitly undefined field as absent', () => {
    const before = stored();
    expect(merge(before, { firstname: undefined })).toEqual(before);
  });

  it('does not modify the stored customer it merges into', () => {
    const before = stored();
    const copy = structuredClone(before);
    merge(before, { firstname: 'Jane', cc_emails: [] });
    expect(before).toEqual(copy);
  });

  it.each([
    ['an empty string', ''],
    ['a whitespace-only string', '   \t'],
    ['null', null],
  ])('clears an optional string field given %s', (_label, value) => {
    const after = merge(stored(), { company: value, notes: value, address_2: value });
    expect(after.company).toBeNull();
    expect(after.notes).toBeNull();
    expect(after.address_2).toBeNull();
    expect(after.firstname).toBe('John');
  });

  it('clears a list given an empty array or null', () => {
    const after = merge(stored(), { cc_emails: [], cc_sms: null });
    expect(after.cc_emails).toBeNull();
    expect(after.cc_sms).toBeNull();
  });

  it('clears options given null', () => {
    expect(merge(stored(), { options: null }).options).toBeNull();
  });

  it('stores address_country upper case', () => {
    expect(merge(stored(), { address_country: 'gbr' }).address_country).toBe('GBR');
    expect(merge(stored(), { address_country: 'cAn' }).address_country).toBe('CAN');
  });

  it('falls back to true when allow_invoice_credit_card_payments is cleared, since it cannot be null', () => {
    expect(normalizePatch({ allow_invoice_credit_card_payments: null as unknown as boolean })).toEqual({
      allow_invoice_credit_card_payments: true,
    });
    expect(
      merge(stored(), { allow_invoice_credit_card_payments: false }).allow_invoice_credit_card_payments,
    ).toBe(false);
  });

  it('keeps non-empty strings exactly as sent (no trimming of real values)', () => {
    expect(merge(stored(), { notes: '  indented  ' }).notes).toBe('  indented  ');
  });

  it('starts a new customer from the declared defaults', () => {
    const created = merge(CUSTOMER_DEFAULTS, { firstname: 'Ann' });
    expect(created).toMatchObject({
      firstname: 'Ann',
      lastname: null,
      allow_invoice_credit_card_payments: true,
      customer_type: 'Individual',
      status: 'ACTIVE',
    });
  });
});

describe('normalizePatch', () => {
  it('leaves absent fields absent, so they are not written', () => {
    const out = normalizePatch({ email: '', firstname: undefined });
    expect(out).toEqual({ email: null });
    expect(Object.keys(out)).toEqual(['email']);
  });
});

describe('countryCodeProblem', () => {
  it.each(['USA', 'usa', 'gBr', 'DEU', 'XKK'])('accepts the alpha-3 code %s in any case', (code) => {
    expect(countryCodeProblem(code)).toBeNull();
  });

  it.each([
    ['US', 'USA'],
    ['us', 'USA'],
    ['gb', 'GBR'],
    ['De', 'DEU'],
  ])('refuses the alpha-2 code %s with a hint naming %s', (code, alpha3) => {
    expect(countryCodeProblem(code)).toBe(
      `address_country must be an ISO 3166-1 alpha-3 code (did you mean ${alpha3}?)`,
    );
  });

  it.each(['ZZZ', 'ZZ', 'US1', 'USAA', 'U', '', '840', 'U S', 'ÜSA'])('refuses %p without a hint', (code) => {
    const problem = countryCodeProblem(code);
    expect(problem).toBe('address_country must be an ISO 3166-1 alpha-3 country code, such as USA or GBR');
  });
});

describe('isValidPhone', () => {
  it.each([
    ['10 digits', '5555550123'],
    ['15 digits', '123456789012345'],
    ['leading + and punctuation', '+1 (555) 555-0123'],
    ['dots', '555.555.0123'],
    ['exactly 20 characters', '+1 (555) 555-01234 5'],
  ])('accepts %s', (_label, phone) => {
    expect(isValidPhone(phone)).toBe(true);
  });

  it.each([
    ['9 digits', '555555012'],
    ['16 digits', '1234567890123456'],
    ['a + that is not leading', '1+5555550123'],
    ['two leading +', '++15555550123'],
    ['letters', '555-555-CALL'],
    ['an extension marker', '5555550123x12'],
    ['a slash', '555/555/0123'],
    ['more than 20 characters, though 11 digits', '1 2 3 4 5 6 7 8 9 0 1'],
    ['only punctuation', '(((--)))'],
    ['empty', ''],
  ])('refuses %s', (_label, phone) => {
    expect(isValidPhone(phone)).toBe(false);
  });

  it('counts characters, not digits, for the 20 limit', () => {
    expect('+1 (555) 555-01234 5').toHaveLength(20);
    expect('1 2 3 4 5 6 7 8 9 0 1').toHaveLength(21);
  });
});

describe('satisfiesIdentityRule', () => {
  const none = { firstname: null, lastname: null, email: null, company: null };

  it('refuses a customer with none of firstname, lastname, email, company', () => {
    expect(satisfiesIdentityRule(none)).toBe(false);
  });

  it('refuses whitespace-only values', () => {
    expect(satisfiesIdentityRule({ ...none, firstname: ' ', company: '\t' })).toBe(false);
  });

  it.each(['firstname', 'lastname', 'email', 'company'] as const)('accepts %s alone', (field) => {
    expect(satisfiesIdentityRule({ ...none, [field]: 'x' })).toBe(true);
  });

  it('holds after a merge that clears some but not all identity fields', () => {
    const after = merge(stored(), { firstname: '', lastname: null, email: '' });
    expect(satisfiesIdentityRule(after)).toBe(true);
    expect(satisfiesIdentityRule(merge(after, { company: '' }))).toBe(false);
  });

  it('has the documented message', () => {
    expect(IDENTITY_RULE_MESSAGE).toBe(
      'Customer requires at least one of firstname, lastname, email or company',
    );
  });
});

describe('diff', () => {
  it('is empty when nothing changed', () => {
    expect(diff(stored(), stored())).toEqual({});
  });

  it('lists only the changed fields, with from and to', () => {
    const before = stored();
    const after = merge(before, { lastname: 'Jones', notes: '', firstname: 'John' });
    expect(diff(before, after)).toEqual({
      lastname: { from: 'Smith', to: 'Jones' },
      notes: { from: 'Prefers email', to: null },
    });
  });

  it('treats an options object with reordered keys as unchanged', () => {
    const before = stored({ options: { a: 1, b: { c: 2, d: [1, 2] } } });
    const after = stored({ options: { b: { d: [1, 2], c: 2 }, a: 1 } });
    expect(diff(before, after)).toEqual({});
  });

  it('sees a change inside a nested object', () => {
    const before = stored({ options: { a: 1, b: { c: 2 } } });
    const after = stored({ options: { a: 1, b: { c: 3 } } });
    expect(Object.keys(diff(before, after))).toEqual(['options']);
  });

  it('treats reordered list entries as a change', () => {
    const before = stored({ cc_emails: ['a@example.com', 'b@example.com'] });
    const after = stored({ cc_emails: ['b@example.com', 'a@example.com'] });
    expect(diff(before, after)).toEqual({
      cc_emails: { from: ['a@example.com', 'b@example.com'], to: ['b@example.com', 'a@example.com'] },
    });
  });

  it('sees null ⇄ value and booleans', () => {
    const before = stored({ options: null, allow_invoice_credit_card_payments: true });
    const after = stored({ options: {}, allow_invoice_credit_card_payments: false });
    expect(diff(before, after)).toEqual({
      options: { from: null, to: {} },
      allow_invoice_credit_card_payments: { from: true, to: false },
    });
  });

  it('covers status and customer_type (v0 fields)', () => {
    const after = stored({ status: 'BLACKLISTED', customer_type: 'Enterprise' });
    expect(diff(stored(), after)).toEqual({
      status: { from: 'ACTIVE', to: 'BLACKLISTED' },
      customer_type: { from: 'Startup', to: 'Enterprise' },
    });
  });
});

describe('gravatar', () => {
  // md5("john.smith@example.com"), computed outside the code under test.
  const url = '//www.gravatar.com/avatar/1bc5edb4799fd8eec67c66122f47eb73';

  it('is the md5 of the trimmed, lower-cased email', () => {
    expect(gravatar('john.smith@example.com')).toBe(url);
    expect(gravatar('  John.Smith@EXAMPLE.com \n')).toBe(url);
  });

  it('is false without an email', () => {
    expect(gravatar(null)).toBe(false);
    expect(gravatar('')).toBe(false);
    expect(gravatar('   ')).toBe(false);
  });
});

describe('missingAddressComponents', () => {
  const full = {
    address_1: '123 Main St',
    address_city: 'Orlando',
    address_state: 'FL',
    address_zip: '32801',
  };

  it('is empty when address_1, city, state and zip are all set', () => {
    expect(missingAddressComponents(full)).toEqual([]);
  });

  it('names the missing components in a fixed order', () => {
    expect(missingAddressComponents({ ...full, address_zip: null, address_city: '' })).toEqual([
      'address_city',
      'address_zip',
    ]);
    expect(
      missingAddressComponents({
        address_1: null,
        address_city: null,
        address_state: null,
        address_zip: null,
      }),
    ).toEqual(['address_1', 'address_city', 'address_state', 'address_zip']);
  });
});

describe('emailKey', () => {
  it('is the trimmed, lower-cased email of a live customer', () => {
    expect(emailKey(' John.Smith@Example.COM ', false)).toBe('john.smith@example.com');
  });

  it('is null for a deleted customer, so its email is free for another', () => {
    expect(emailKey('john.smith@example.com', true)).toBeNull();
  });

  it('is null without an email', () => {
    expect(emailKey(null, false)).toBeNull();
    expect(emailKey('', false)).toBeNull();
  });
});

describe('writableOf', () => {
  it('keeps exactly the writable fields of a stored customer', () => {
    const customer = {
      ...stored(),
      id: '6f1c1f9e-0000-4000-8000-000000000000',
      merchant_id: 'm',
      email_key: 'john.smith@example.com',
      version: 7,
      last_spent: 0,
      last_purchase_date: null,
      created_at: new Date(),
      updated_at: new Date(),
      deleted_at: null,
    } as Customer;
    const w = writableOf(customer);
    expect(Object.keys(w).sort()).toEqual([...WRITABLE_FIELDS].sort());
    expect(w).toEqual(stored());
  });
});
