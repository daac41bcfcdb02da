/**
 * OpenAPI schemas of the Stax-compatible responses. They describe what toStaxCustomer(),
 * toStaxAuditEntry() and laravelPage() return; the mapping itself lives in customer.views.ts.
 */
import { ApiProperty } from '@nestjs/swagger';
import { LaravelPageView } from '../../common/laravel-page.view';
import { ADDRESS_COMPONENTS } from '../customer-rules';
import { AUDIT_ACTIONS, AUDIT_CHANGES_SCHEMA, EXAMPLE_CUSTOMER_ID } from './view-common';

const stax = (example: string) => ({
  type: 'string' as const,
  readOnly: true,
  example,
  description: 'UTC, `YYYY-MM-DD HH:MM:SS` (Stax style).',
});

export class StaxCustomerView {
  @ApiProperty({ format: 'uuid', readOnly: true, example: EXAMPLE_CUSTOMER_ID })
  id!: string;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'John' })
  firstname!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'Smith' })
  lastname!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'Acme Corp' })
  company!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'john.smith@example.com' })
  email!: string | null;

  @ApiProperty({ type: [String], maxItems: 20, example: ['billing@example.com'] })
  cc_emails!: string[];

  @ApiProperty({ type: [String], maxItems: 20, example: ['15555550123'] })
  cc_sms!: string[];

  @ApiProperty({ type: 'string', nullable: true, maxLength: 20, example: '+1 (555) 555-0123' })
  phone!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: '123 Main St' })
  address_1!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'Suite 100' })
  address_2!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'Orlando' })
  address_city!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 64, example: 'FL' })
  address_state!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 16, example: '32801' })
  address_zip!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    minLength: 3,
    maxLength: 3,
    example: 'USA',
    description: 'ISO 3166-1 alpha-3, upper case.',
  })
  address_country!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 21844, example: 'Prefers email over phone.' })
  notes!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'CRM-0042' })
  reference!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { loyalty_tier: 'gold' },
    description: 'Free-form object, at most 16 KiB as JSON.',
  })
  options!: Record<string, unknown> | null;

  @ApiProperty({ example: true })
  allow_invoice_credit_card_payments!: boolean;

  @ApiProperty(stax('2024-03-20 10:00:00'))
  created_at!: string;

  @ApiProperty(stax('2024-03-22 14:15:30'))
  updated_at!: string;

  @ApiProperty({
    ...stax('2024-03-25 09:00:00'),
    nullable: true,
    example: null,
    description: 'Set while the customer is soft-deleted. UTC, `YYYY-MM-DD HH:MM:SS`.',
  })
  deleted_at!: string | null;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'boolean', enum: [false] }],
    readOnly: true,
    example: '//www.gravatar.com/avatar/1bc5edb4799fd8eec67c66122f47eb73',
    description:
      '`//www.gravatar.com/avatar/` + md5 of the trimmed, lower-cased email; `false` without email.',
  })
  gravatar!: string | false;

  @ApiProperty({
    readOnly: true,
    example: true,
    description: 'Whether address_1, address_city, address_state and address_zip are all set.',
  })
  has_address!: boolean;

  @ApiProperty({
    readOnly: true,
    type: 'array',
    items: { type: 'string', enum: [...ADDRESS_COMPONENTS] },
    example: [],
    description: 'Which of address_1, address_city, address_state, address_zip are missing.',
  })
  missing_address_components!: string[];
}

export class StaxCustomerPage extends LaravelPageView {
  @ApiProperty({ type: [StaxCustomerView] })
  data!: StaxCustomerView[];
}

export class StaxAuditEntryView {
  @ApiProperty({ format: 'uuid', readOnly: true, example: '0b6c1f9e-54a1-4c83-9d0e-2f1c7a9b8e41' })
  id!: string;

  @ApiProperty({ format: 'uuid', readOnly: true, example: EXAMPLE_CUSTOMER_ID })
  customer_id!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, enumName: 'AuditAction', readOnly: true, example: 'customer.updated' })
  action!: string;

  @ApiProperty({ ...AUDIT_CHANGES_SCHEMA, example: { address_country: { from: 'USA', to: 'GBR' } } })
  changes!: Record<string, { from: unknown; to: unknown }>;

  @ApiProperty({
    readOnly: true,
    example: 'ck_4f2a9c1e7b3d5a6f8e0c2b1d',
    description: 'The client_key of the API key that made the change (never a secret).',
  })
  actor!: string;

  @ApiProperty({ readOnly: true, example: '3f0c8a52-6a0e-4f0b-9d47-0f6f0f4c2b1e' })
  request_id!: string;

  @ApiProperty({ type: 'string', nullable: true, readOnly: true, example: null })
  idempotency_key!: string | null;

  @ApiProperty(stax('2024-03-22 14:15:30'))
  created_at!: string;
}

export class StaxAuditPage extends LaravelPageView {
  @ApiProperty({ type: [StaxAuditEntryView] })
  data!: StaxAuditEntryView[];
}
