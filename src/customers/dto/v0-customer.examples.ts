/**
 * Request-body examples of the v0 routes (from the Devdraft document), offered in Swagger UI. Each
 * is a valid body: the invalid ones, with the answer they get, are the error-response examples.
 */
import type { ExamplesObject } from '@nestjs/swagger';

export const V0_CREATE_EXAMPLES: ExamplesObject = {
  full: {
    summary: 'A business customer',
    value: {
      first_name: 'John',
      last_name: 'Smith',
      email: 'john.smith@newcompany.com',
      phone_number: '+1-987-654-3210',
      customer_type: 'Enterprise',
      status: 'ACTIVE',
    },
  },
  minimal: {
    summary: 'Only the required fields',
    value: { first_name: 'Jane', last_name: 'Doe', phone_number: '+44 20 7946 0958' },
  },
};

export const V0_UPDATE_EXAMPLES: ExamplesObject = {
  contact: {
    summary: 'New phone number and email (the Devdraft example)',
    value: { phone_number: '+1-987-654-3210', email: 'john.smith@newcompany.com' },
  },
  upgrade: {
    summary: 'Account upgrade',
    value: { customer_type: 'Enterprise' },
  },
  blacklist: {
    summary: 'Blacklist (moving back to ACTIVE needs customers:reactivate)',
    value: { status: 'BLACKLISTED' },
  },
};

export const V0_BULK_EXAMPLES: ExamplesObject = {
  mixed: {
    summary: 'A create and an update (independent items)',
    value: {
      items: [
        {
          first_name: 'John',
          last_name: 'Smith',
          phone_number: '+1-987-654-3210',
          email: 'john@example.com',
        },
        { id: 'ba074ef6-aab1-43ac-aa1b-663309ab4d62', status: 'DEACTIVATED' },
      ],
    },
  },
  atomic: {
    summary: 'All or nothing',
    value: {
      atomic: true,
      items: [
        { first_name: 'Ann', last_name: 'Lee', phone_number: '+1-987-654-3211' },
        { first_name: 'Bob', last_name: 'Ray', phone_number: '+1-987-654-3212' },
      ],
    },
  },
};
