import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import {
  ClearableOptional,
  IsAlpha3Country,
  IsPhone,
  IsPlainObject,
  MaxChars,
  MaxJsonBytes,
  NotNullIfPresent,
} from './validators';

const clearable = 'An empty string or null clears it.';

export const MERCHANT_ID_MISMATCH = 'merchant_id in the body must be the merchant id of your API key';
export const FILES_NOT_EMPTY = 'files must be empty: this service keeps no files for a customer';

/**
 * Body of POST /customer and PUT /customer/{id}. Every field is optional; on PUT only the fields
 * present change. The read-only fields of the response may be sent back and are ignored, and so
 * may two fields of a Stax customer this service does not show, when they repeat what it would
 * show: merchant_id (the caller's own) and files (empty).
 */
export class StaxCustomerBody {
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 255,
    example: 'John',
    description: clearable,
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  firstname?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 255,
    example: 'Smith',
    description: clearable,
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  lastname?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 255,
    example: 'Acme Corp',
    description: clearable,
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  company?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 255,
    example: 'john.smith@example.com',
    description: `Unique per merchant among live customers, case-insensitive. ${clearable}`,
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email?: string | null;

  @ApiPropertyOptional({ nullable: true, type: [String], maxItems: 20, example: ['billing@example.com'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsEmail({}, { each: true, message: 'each value in cc_emails must be a valid email address' })
  cc_emails?: string[] | null;

  @ApiPropertyOptional({
    nullable: true,
    type: [String],
    maxItems: 20,
    example: ['15555550123'],
    description: '10-15 digits each',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^\d{10,15}$/, { each: true, message: 'each value in cc_sms must be 10-15 digits' })
  cc_sms?: string[] | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 20,
    example: '+1 (555) 555-0123',
    description: `10-15 digits. ${clearable}`,
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(20)
  @IsPhone()
  phone?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 255, example: '123 Main St' })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  address_1?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 255, example: 'Suite 100' })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  address_2?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 255, example: 'Orlando' })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  address_city?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 64, example: 'FL' })
  @ClearableOptional()
  @IsString()
  @MaxChars(64)
  address_state?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 16, example: '32801' })
  @ClearableOptional()
  @IsString()
  @MaxChars(16)
  address_zip?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    minLength: 3,
    maxLength: 3,
    example: 'USA',
    description:
      'ISO 3166-1 alpha-3; lower case is accepted and stored upper case. An alpha-2 code is refused with a hint.',
  })
  @ClearableOptional()
  @IsString()
  @IsAlpha3Country()
  address_country?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: 21844,
    example: 'Prefers email over phone.',
  })
  @ClearableOptional()
  @IsString()
  @MaxChars(21844)
  notes?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 255, example: 'CRM-0042' })
  @ClearableOptional()
  @IsString()
  @MaxChars(255)
  reference?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'At most 16 KiB as JSON.',
  })
  @IsOptional()
  @IsPlainObject()
  @MaxJsonBytes(16 * 1024)
  options?: Record<string, unknown> | null;

  // No `default` in the schema: generated clients turn a defaulted property into a required one,
  // and then a partial update cannot be written. The description says what the default is.
  @ApiPropertyOptional({
    type: 'boolean',
    example: true,
    description:
      'true when left out on create; left out on update, it keeps its value. It cannot be cleared (null is 400).',
  })
  @NotNullIfPresent()
  @IsBoolean()
  allow_invoice_credit_card_payments?: boolean;

  // ---- Stax fields this service does not show: accepted when they repeat what it would show ----

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    required: false,
    description:
      'Stax clients send back the customer they read, with its merchant_id. Accepted when it is the merchant ' +
      'id of your API key (it changes nothing); any other value is 400.',
  })
  @NotNullIfPresent()
  @IsString()
  merchant_id?: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    maxItems: 0,
    required: false,
    description:
      'Stax clients send back the files of the customer they read. This service keeps none, so only an ' +
      'empty list is accepted; any file is 400.',
  })
  @NotNullIfPresent()
  @IsArray()
  @ArrayMaxSize(0, { message: FILES_NOT_EMPTY })
  files?: unknown[];

  // ---- read-only: accepted so a GET-then-PUT of the whole object works, never applied ----

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    readOnly: true,
    required: false,
    description: 'Read-only. If sent, must equal the path id.',
  })
  @Allow()
  id?: unknown;

  @ApiProperty({ type: 'string', readOnly: true, required: false, example: '2024-03-20 10:00:00' })
  @Allow()
  created_at?: unknown;

  @ApiProperty({ type: 'string', readOnly: true, required: false, example: '2024-03-22 14:15:30' })
  @Allow()
  updated_at?: unknown;

  @ApiProperty({ type: 'string', readOnly: true, required: false, nullable: true, example: null })
  @Allow()
  deleted_at?: unknown;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'boolean', enum: [false] }],
    readOnly: true,
    required: false,
  })
  @Allow()
  gravatar?: unknown;

  @ApiProperty({ type: 'boolean', readOnly: true, required: false })
  @Allow()
  has_address?: unknown;

  @ApiProperty({ type: [String], readOnly: true, required: false })
  @Allow()
  missing_address_components?: unknown;
}
