import { Column, Entity, PrimaryColumn } from 'typeorm';
import { columnWidth, CUSTOMER_FIELDS, WritableField } from './customer-fields';

export const CUSTOMER_TYPES = [
  'Individual',
  'Startup',
  'Small Business',
  'Medium Business',
  'Enterprise',
  'Non-Profit',
  'Government',
] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export const CUSTOMER_STATUSES = ['ACTIVE', 'BLACKLISTED', 'DEACTIVATED'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

const decimalToNumber = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? 0 : Number(value)),
};

@Entity('customers')
export class Customer {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @Column({ type: 'varchar', length: columnWidth('firstname'), nullable: true })
  firstname!: string | null;

  @Column({ type: 'varchar', length: columnWidth('lastname'), nullable: true })
  lastname!: string | null;

  @Column({ type: 'varchar', length: columnWidth('company'), nullable: true })
  company!: string | null;

  @Column({ type: 'varchar', length: columnWidth('email'), nullable: true })
  email!: string | null;

  /**
   * Lower-cased email while the customer is live, NULL once deleted or without email.
   * The unique index uq_customers_merchant_email on (merchant_id, email_key) enforces
   * "unique per merchant among non-deleted customers, case-insensitive" in the database itself.
   */
  @Column({ type: 'varchar', length: 255, nullable: true })
  email_key!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  cc_emails!: string[] | null;

  @Column({ type: 'simple-json', nullable: true })
  cc_sms!: string[] | null;

  @Column({ type: 'varchar', length: columnWidth('phone'), nullable: true })
  phone!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_1'), nullable: true })
  address_1!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_2'), nullable: true })
  address_2!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_city'), nullable: true })
  address_city!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_state'), nullable: true })
  address_state!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_zip'), nullable: true })
  address_zip!: string | null;

  @Column({ type: 'varchar', length: columnWidth('address_country'), nullable: true })
  address_country!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ type: 'varchar', length: columnWidth('reference'), nullable: true })
  reference!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  options!: Record<string, unknown> | null;

  @Column({ type: 'boolean', default: CUSTOMER_FIELDS.allow_invoice_credit_card_payments.default })
  allow_invoice_credit_card_payments!: boolean;

  @Column({
    type: 'varchar',
    length: columnWidth('customer_type'),
    default: CUSTOMER_FIELDS.customer_type.default,
  })
  customer_type!: CustomerType;

  @Column({ type: 'varchar', length: columnWidth('status'), default: CUSTOMER_FIELDS.status.default })
  status!: CustomerStatus;

  @Column({ type: 'decimal', precision: 12, scale: 2, default: 0, transformer: decimalToNumber })
  last_spent!: number;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  last_purchase_date!: Date | null;

  /** Bumped on every committed change; the ETag and If-Match are built on it. */
  @Column({ type: 'int', default: 1 })
  version!: number;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updated_at!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  deleted_at!: Date | null;
}

/** The fields a client may write (customer-fields.ts); everything else on a customer is read-only. */
export type CustomerWritable = Pick<Customer, WritableField>;
export type CustomerPatch = Partial<CustomerWritable>;
