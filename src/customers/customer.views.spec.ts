import type { AuditEntry } from '../audit/audit-entry.entity';
import type { Customer } from './customer.entity';
import {
  STAX_READ_ONLY_FIELDS,
  staxTimestamp,
  toStaxAuditEntry,
  toStaxCustomer,
  toV0AuditEntry,
  toV0Customer,
} from './customer.views';
import { versionTag } from './customer-rules';

const ID = '0b6b2a3e-5d8f-4c1a-9a57-2f7c3f1d9e10';
const MERCHANT = 'c9f5d2a1-1111-4222-8333-444455556666';

function customer(over: Partial<Customer> = {}): Customer {
  return {
    id: ID,
    merchant_id: MERCHANT,
    firstname: 'John',
    lastname: 'Smith',
    company: 'Acme Corp',
    email: 'john.smith@example.com',
    email_key: 'john.smith@example.com',
    cc_emails: null,
    cc_sms: null,
    phone: '+1 (555) 555-0123',
    address_1: '123 Main St',
    address_2: null,
    address_city: 'Orlando',
    address_state: 'FL',
    address_zip: '32801',
    address_country: 'USA',
    notes: null,
    reference: 'CRM-0042',
    options: { tier: 'gold' },
    allow_invoice_credit_card_payments: true,
    customer_type: 'Small Business',
    status: 'ACTIVE',
    last_spent: 12.5,
    last_purchase_date: null,
    version: 3,
    created_at: new Date('2024-03-20T10:00:00.000Z'),
    updated_at: new Date('2024-03-22T14:15:30.999Z'),
    deleted_at: null,
    ...over,
  };
}

describe('staxTimestamp', () => {
  it('writes YYYY-MM-DD HH:mm:ss in UTC, dropping milliseconds', () => {
    expect(staxTimestamp(new Date('2024-03-22T14:15:30.999Z'))).toBe('2024-03-22 14:15:30');
    // 23:30 at UTC-05:00 is the next day in UTC.
    expect(staxTimestamp(new Date('2024-12-31T23:30:05-05:00'))).toBe('2025-01-01 04:30:05');
  });

  it('is null for no date', () => {
    expect(staxTimestamp(null)).toBeNull();
  });
});

describe('toStaxCustomer', () => {
  it('maps every field under its Stax name with Stax timestamps', () => {
    expect(toStaxCustomer(customer())).toEqual({
      id: ID,
      firstname: 'John',
      lastname: 'Smith',
      company: 'Acme Corp',
      email: 'john.smith@example.com',
      cc_emails: [],
      cc_sms: [],
      phone: '+1 (555) 555-0123',
      address_1: '123 Main St',
      address_2: null,
      address_city: 'Orlando',
      address_state: 'FL',
      address_zip: '32801',
      address_country: 'USA',
      notes: null,
      reference: 'CRM-0042',
      options: { tier: 'gold' },
      allow_invoice_credit_card_payments: true,
      created_at: '2024-03-20 10:00:00',
      updated_at: '2024-03-22 14:15:30',
      deleted_at: null,
      gravatar: '//www.gravatar.com/avatar/1bc5edb4799fd8eec67c66122f47eb73',
      has_address: true,
      missing_address_components: [],
    });
  });

  it('never exposes internal columns', () => {
    const view = toStaxCustomer(customer()) as Record<string, unknown>;
    for (const internal of ['merchant_id', 'email_key', 'version', 'status', 'customer_type', 'last_spent']) {
      expect(view).not.toHaveProperty(internal);
    }
  });

  it('reports a partial address', () => {
    const view = toStaxCustomer(customer({ address_state: null, address_zip: null }));
    expect(view.has_address).toBe(false);
    expect(view.missing_address_components).toEqual(['address_state', 'address_zip']);
  });

  it('shows deleted_at for a soft-deleted customer', () => {
    const view = toStaxCustomer(customer({ deleted_at: new Date('2024-04-01T08:09:10.500Z') }));
    expect(view.deleted_at).toBe('2024-04-01 08:09:10');
  });

  it('has gravatar false without email and passes the lists through', () => {
    const view = toStaxCustomer(
      customer({ email: null, cc_emails: ['a@example.com'], cc_sms: ['5555550123'] }),
    );
    expect(view.gravatar).toBe(false);
    expect(view.cc_emails).toEqual(['a@example.com']);
    expect(view.cc_sms).toEqual(['5555550123']);
  });

  it('contains every field the controller treats as read-only', () => {
    const view = toStaxCustomer(customer());
    for (const field of STAX_READ_ONLY_FIELDS) expect(view).toHaveProperty(field);
  });
});

describe('toV0Customer', () => {
  it('maps to the v0 names with ISO 8601 UTC timestamps', () => {
    expect(toV0Customer(customer())).toEqual({
      id: ID,
      first_name: 'John',
      last_name: 'Smith',
      email: 'john.smith@example.com',
      phone_number: '+1 (555) 555-0123',
      customer_type: 'Small Business',
      status: 'ACTIVE',
      last_spent: 12.5,
      last_purchase_date: null,
      appId: MERCHANT,
      createdAt: '2024-03-20T10:00:00.000Z',
      updatedAt: '2024-03-22T14:15:30.999Z',
    });
  });

  it('writes last_purchase_date as ISO 8601 when set', () => {
    const view = toV0Customer(customer({ last_purchase_date: new Date('2024-02-29T23:59:59.001Z') }));
    expect(view.last_purchase_date).toBe('2024-02-29T23:59:59.001Z');
  });

  it('does not carry Stax-only fields', () => {
    const view = toV0Customer(customer()) as Record<string, unknown>;
    for (const staxOnly of ['firstname', 'lastname', 'phone', 'company', 'created_at', 'gravatar']) {
      expect(view).not.toHaveProperty(staxOnly);
    }
  });
});

function auditEntry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq: '42',
    id: 'a1a1a1a1-b2b2-4c3c-8d4d-e5e5e5e5e5e5',
    merchant_id: MERCHANT,
    customer_id: ID,
    action: 'customer.updated',
    changes: {
      firstname: { from: 'John', to: 'Jon' },
      lastname: { from: 'Smith', to: null },
      phone: { from: null, to: '5555550123' },
      email: { from: 'a@example.com', to: 'b@example.com' },
      notes: { from: null, to: 'x' },
    },
    actor: 'ck_0123456789abcdef01234567',
    request_id: 'req-1',
    idempotency_key: null,
    created_at: new Date('2024-03-22T14:15:30.250Z'),
    ...over,
  };
}

describe('toV0AuditEntry', () => {
  it('renames firstname, lastname and phone to the v0 names and keeps the rest', () => {
    expect(toV0AuditEntry(auditEntry())).toEqual({
      id: 'a1a1a1a1-b2b2-4c3c-8d4d-e5e5e5e5e5e5',
      customer_id: ID,
      action: 'customer.updated',
      changes: {
        first_name: { from: 'John', to: 'Jon' },
        last_name: { from: 'Smith', to: null },
        phone_number: { from: null, to: '5555550123' },
        email: { from: 'a@example.com', to: 'b@example.com' },
        notes: { from: null, to: 'x' },
      },
      actor: 'ck_0123456789abcdef01234567',
      request_id: 'req-1',
      idempotency_key: null,
      createdAt: '2024-03-22T14:15:30.250Z',
    });
  });

  it('does not expose the merchant or the insertion sequence', () => {
    const view = toV0AuditEntry(auditEntry()) as Record<string, unknown>;
    expect(view).not.toHaveProperty('merchant_id');
    expect(view).not.toHaveProperty('seq');
  });
});

describe('toStaxAuditEntry', () => {
  it('keeps the stored field names and uses a Stax timestamp', () => {
    const entry = auditEntry({ idempotency_key: 'idem-1' });
    const view = toStaxAuditEntry(entry);
    expect(view.changes).toEqual(entry.changes);
    expect(view.created_at).toBe('2024-03-22 14:15:30');
    expect(view.idempotency_key).toBe('idem-1');
    expect(view).not.toHaveProperty('merchant_id');
  });
});

describe('versionTag (the ETag)', () => {
  it('is a strong, quoted ETag on the row version', () => {
    expect(versionTag(customer({ version: 3 }))).toBe('"3"');
  });

  it('changes when the version changes', () => {
    expect(versionTag(customer({ version: 4 }))).not.toBe(versionTag(customer({ version: 3 })));
  });
});
