/**
 * OpenAPI schemas of the v0 (Devdraft-style) responses. They describe what toV0Customer() and
 * toV0AuditEntry() return; the mapping itself lives in customer.views.ts.
 */
import { ApiProperty } from '@nestjs/swagger';
import { CUSTOMER_STATUSES, CUSTOMER_TYPES } from '../customer.entity';
import { AUDIT_ACTIONS, AUDIT_CHANGES_SCHEMA, EXAMPLE_CUSTOMER_ID } from './view-common';

const iso = (example: string) => ({
  type: 'string' as const,
  format: 'date-time',
  readOnly: true,
  example,
  description: 'ISO 8601, UTC.',
});

export class V0CustomerView {
  @ApiProperty({ format: 'uuid', readOnly: true, example: EXAMPLE_CUSTOMER_ID })
  id!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    maxLength: 100,
    example: 'John',
    description: 'null only for a customer created on the Stax surface without a first name.',
  })
  first_name!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    maxLength: 100,
    example: 'Smith',
    description: 'null only for a customer created on the Stax surface without a last name.',
  })
  last_name!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'john.smith@newcompany.com' })
  email!: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 20, example: '+1-987-654-3210' })
  phone_number!: string | null;

  @ApiProperty({ enum: CUSTOMER_TYPES, enumName: 'CustomerType', example: 'Enterprise' })
  customer_type!: string;

  @ApiProperty({ enum: CUSTOMER_STATUSES, enumName: 'CustomerStatus', example: 'ACTIVE' })
  status!: string;

  @ApiProperty({ readOnly: true, example: 1250.5, description: 'Last transaction amount; 0 until one.' })
  last_spent!: number;

  @ApiProperty({ ...iso('2024-03-15T14:30:00.000Z'), nullable: true })
  last_purchase_date!: string | null;

  @ApiProperty({
    readOnly: true,
    example: '7d8e2c41-3b6a-4f0e-9a15-c2d4e6f8a0b2',
    description: "The owning merchant's id.",
  })
  appId!: string;

  @ApiProperty(iso('2024-03-20T10:00:00.000Z'))
  createdAt!: string;

  @ApiProperty(iso('2024-03-22T14:15:30.000Z'))
  updatedAt!: string;
}

export class V0CustomerList {
  @ApiProperty({ type: [V0CustomerView] })
  data!: V0CustomerView[];

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1,
    description:
      'All matches, not just this page. With name or email, counted up to LIST_COUNT_LIMIT (10,000 by ' +
      'default): past it, total is that bound and total_relation says gte.',
  })
  total!: number;

  @ApiProperty({
    enum: ['eq', 'gte'],
    example: 'eq',
    description: 'eq: total is exact; gte: there are at least total matches.',
  })
  total_relation!: 'eq' | 'gte';

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10000, example: 0 })
  skip!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, example: 10 })
  take!: number;
}

export class V0AuditEntryView {
  @ApiProperty({ format: 'uuid', readOnly: true, example: '0b6c1f9e-54a1-4c83-9d0e-2f1c7a9b8e41' })
  id!: string;

  @ApiProperty({ format: 'uuid', readOnly: true, example: EXAMPLE_CUSTOMER_ID })
  customer_id!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, enumName: 'AuditAction', readOnly: true, example: 'customer.updated' })
  action!: string;

  @ApiProperty({
    ...AUDIT_CHANGES_SCHEMA,
    example: { phone_number: { from: '+1-555-010-0000', to: '+1-987-654-3210' } },
    description: 'Only the fields that changed, named as on the v0 surface.',
  })
  changes!: Record<string, { from: unknown; to: unknown }>;

  @ApiProperty({
    readOnly: true,
    example: 'ck_4f2a9c1e7b3d5a6f8e0c2b1d',
    description: 'The client_key of the API key that made the change (never a secret).',
  })
  actor!: string;

  @ApiProperty({ readOnly: true, example: '3f0c8a52-6a0e-4f0b-9d47-0f6f0f4c2b1e' })
  request_id!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    readOnly: true,
    example: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
  })
  idempotency_key!: string | null;

  @ApiProperty(iso('2024-03-22T14:15:30.000Z'))
  createdAt!: string;
}

export class V0AuditList {
  @ApiProperty({ type: [V0AuditEntryView] })
  data!: V0AuditEntryView[];

  @ApiProperty({ type: 'integer', minimum: 0, example: 1 })
  total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10000, example: 0 })
  skip!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, example: 10 })
  take!: number;
}
