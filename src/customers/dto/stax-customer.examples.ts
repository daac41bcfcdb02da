/**
 * Request-body examples of the Stax routes, offered in Swagger UI's example drop-down. Each is a
 * valid body: the invalid ones, with the answer they get, are the error-response examples.
 */
import type { ExamplesObject } from '@nestjs/swagger';

export const STAX_CREATE_EXAMPLES: ExamplesObject = {
  full: {
    summary: 'A customer with an address',
    value: {
      firstname: 'John',
      lastname: 'Smith',
      company: 'Acme Corp',
      email: 'john.smith@example.com',
      cc_emails: ['billing@example.com'],
      phone: '+1 (555) 555-0123',
      address_1: '123 Main St',
      address_2: 'Suite 100',
      address_city: 'Orlando',
      address_state: 'FL',
      address_zip: '32801',
      address_country: 'USA',
      notes: 'Prefers email over phone.',
      reference: 'CRM-0042',
      allow_invoice_credit_card_payments: true,
    },
  },
  minimal: {
    summary: 'Only a company (one of firstname, lastname, email, company is needed)',
    value: { company: 'Acme Corp' },
  },
};

export const STAX_UPDATE_EXAMPLES: ExamplesObject = {
  country: {
    summary: 'Change one field: the others keep their values',
    value: { address_country: 'GBR' },
  },
  email: {
    summary: 'A new email and phone',
    value: { email: 'john.smith@newcompany.com', phone: '+1-987-654-3210' },
  },
  clear: {
    summary: 'Clear fields: an empty string or null',
    value: { address_2: '', notes: null },
  },
};

export const STAX_BULK_EXAMPLES: ExamplesObject = {
  mixed: {
    summary: 'Two creates and an update (independent items)',
    value: {
      items: [
        { firstname: 'John', lastname: 'Smith', email: 'john.smith@example.com' },
        { company: 'Acme Corp', reference: 'CRM-0042' },
        { id: 'ba074ef6-aab1-43ac-aa1b-663309ab4d62', etag: '"2"', phone: '+1 (555) 555-0123' },
      ],
    },
  },
  atomic: {
    summary: 'All or nothing',
    value: { atomic: true, items: [{ firstname: 'Ann' }, { firstname: 'Bob' }] },
  },
};
