import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { isEmail, IsIn, ValidateIf } from 'class-validator';
import { CUSTOMER_STATUSES, CUSTOMER_TYPES, CustomerStatus, CustomerType } from '../customer.entity';
import { isValidPhone } from '../customer-rules';
import { ClearableOptional, rule } from './validators';

/** The Devdraft-style validation messages (docs/behaviour.md, "Write rules"), word for word. */
export const V0_MESSAGES = {
  customerType: `Customer type must be one of: ${CUSTOMER_TYPES.join(', ')}`,
  status: `Status must be one of: ${CUSTOMER_STATUSES.join(', ')}`,
} as const;

const IfPresent = () => ValidateIf((_o, v: unknown) => v !== undefined);

/**
 * One check per field that answers with exactly one message, the most useful one: so a bad
 * value gets `Phone number cannot exceed 20 characters`, not that and three others.
 */
function fieldRule(name: string, problem: (value: unknown) => string | null) {
  return rule(
    name,
    (v) => problem(v) === null,
    (args) => problem(args.value) ?? '',
  );
}

const nameProblem = (label: string, required: boolean) => (v: unknown) => {
  if (v === undefined) return required ? `${label} is required` : null;
  if (v !== null && typeof v !== 'string') return `${label} must be a string`;
  if (v === null || v.trim() === '') return `${label} cannot be empty`;
  if (v.length > 100) return `${label} cannot exceed 100 characters`;
  return null;
};

const phoneProblem = (required: boolean) => (v: unknown) => {
  if (v === undefined || v === null || v === '') return required ? 'Phone number is required' : null;
  if (typeof v !== 'string') return 'Phone number must be a string';
  if (v.length > 20) return 'Phone number cannot exceed 20 characters';
  return isValidPhone(v) ? null : 'Invalid phone number format';
};

const emailProblem = (v: unknown) => {
  if (typeof v !== 'string') return 'Email must be a string';
  if (v.length > 255) return 'Email cannot exceed 255 characters';
  return isEmail(v) ? null : 'Invalid email format';
};

const FirstName = (required: boolean) => fieldRule('v0FirstName', nameProblem('First name', required));
const LastName = (required: boolean) => fieldRule('v0LastName', nameProblem('Last name', required));
const PhoneNumber = (required: boolean) => fieldRule('v0PhoneNumber', phoneProblem(required));
const Email = () => fieldRule('v0Email', emailProblem);

const emailDoc = {
  type: 'string' as const,
  nullable: true,
  maxLength: 255,
  example: 'john.smith@newcompany.com',
  description:
    'Unique per merchant among live customers, case-insensitive. An empty string or null clears it.',
};
const statusDoc = {
  enum: CUSTOMER_STATUSES,
  example: 'ACTIVE',
  description: 'BLACKLISTED → ACTIVE needs an API key with the customers:reactivate scope.',
};

/** PATCH /api/v0/customers/{id}: every field optional; only those present change. */
export class V0UpdateCustomerBody {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'John' })
  @FirstName(false)
  first_name?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Smith' })
  @LastName(false)
  last_name?: string;

  @ApiPropertyOptional(emailDoc)
  @ClearableOptional()
  @Email()
  email?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 20,
    example: '+1-987-654-3210',
    description: '10-15 digits. An empty string or null clears it.',
  })
  @PhoneNumber(false)
  phone_number?: string | null;

  @ApiPropertyOptional({ enum: CUSTOMER_TYPES, example: 'Enterprise' })
  @IfPresent()
  @IsIn(CUSTOMER_TYPES, { message: V0_MESSAGES.customerType })
  customer_type?: CustomerType;

  @ApiPropertyOptional(statusDoc)
  @IfPresent()
  @IsIn(CUSTOMER_STATUSES, { message: V0_MESSAGES.status })
  status?: CustomerStatus;
}

/** POST /api/v0/customers: first_name, last_name and phone_number are required. */
export class V0CreateCustomerBody {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'John' })
  @FirstName(true)
  first_name!: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Smith' })
  @LastName(true)
  last_name!: string;

  @ApiPropertyOptional(emailDoc)
  @ClearableOptional()
  @Email()
  email?: string | null;

  @ApiProperty({ maxLength: 20, example: '+1-987-654-3210', description: '10-15 digits.' })
  @PhoneNumber(true)
  phone_number!: string;

  // Defaults are said in the description, not as `default`: generated clients would make the
  // field required.
  @ApiPropertyOptional({
    enum: CUSTOMER_TYPES,
    example: 'Enterprise',
    description: 'Individual when left out.',
  })
  @IfPresent()
  @IsIn(CUSTOMER_TYPES, { message: V0_MESSAGES.customerType })
  customer_type?: CustomerType;

  @ApiPropertyOptional({ ...statusDoc, description: `ACTIVE when left out. ${statusDoc.description}` })
  @IfPresent()
  @IsIn(CUSTOMER_STATUSES, { message: V0_MESSAGES.status })
  status?: CustomerStatus;
}
