import { ApiPropertyOptional } from '@nestjs/swagger';
import { KEYWORD_COLUMNS } from '../customer-words';
import { PrefixColumn, SortColumn } from '../customers.repository';
import { StaxPageQuery } from './stax-page-query.dto';
import { toList } from './validators';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/** Each keywords[] entry must start a word of one of these. */
export const STAX_KEYWORD_FIELDS = KEYWORD_COLUMNS;

export const STAX_SORT_FIELDS = [
  'firstname',
  'lastname',
  'email',
  'company',
  'address_1',
  'address_city',
  'address_state',
  'reference',
  'created_at',
  'updated_at',
] as const satisfies readonly SortColumn[];

export const STAX_FILTER_FIELDS = [
  'firstname',
  'lastname',
  'company',
  'email',
  'phone',
  'address_1',
  'address_2',
  'address_city',
  'address_state',
  'address_zip',
  'reference',
] as const satisfies readonly PrefixColumn[];

// The example goes in the description, not `example`: Swagger UI pre-fills examples into "Try it
// out", and eleven ANDed filters would make the first listing a newcomer runs come back empty.
const filter = (example: string) =>
  ApiPropertyOptional({
    type: 'string',
    description: `Case-insensitive "starts with", e.g. \`${example}\``,
    maxLength: 255,
  });

/** Query of GET /customer. Unknown parameters are refused, like unknown body fields. */
export class StaxListQuery extends StaxPageQuery {
  @filter('John') @IsOptional() @IsString() @MaxLength(255) firstname?: string;
  @filter('Smith') @IsOptional() @IsString() @MaxLength(255) lastname?: string;
  @filter('Acme') @IsOptional() @IsString() @MaxLength(255) company?: string;
  @filter('@example.com') @IsOptional() @IsString() @MaxLength(255) email?: string;
  @ApiPropertyOptional({
    type: 'string',
    description:
      'The digits of the stored number start with the digits given, whatever the punctuation on either side; ' +
      'a country code the number was stored with must be given too: `+1 (407) 555-0100` is found by `1407` ' +
      'or `+1 407`, not by `407`.',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  phone?: string;
  @filter('Main St') @IsOptional() @IsString() @MaxLength(255) address_1?: string;
  @filter('Suite') @IsOptional() @IsString() @MaxLength(255) address_2?: string;
  @filter('Orlando') @IsOptional() @IsString() @MaxLength(255) address_city?: string;
  @filter('FL') @IsOptional() @IsString() @MaxLength(255) address_state?: string;
  @filter('328') @IsOptional() @IsString() @MaxLength(255) address_zip?: string;
  @filter('CRM-') @IsOptional() @IsString() @MaxLength(255) reference?: string;

  @ApiPropertyOptional({
    name: 'keywords[]',
    type: [String],
    description:
      'Repeatable, all must match. A keyword matches the start of a word (case-insensitive) in id, firstname, ' +
      `lastname, email, company, notes or reference, or, all digits, the start of the phone's digits. Words ` +
      'are split at spaces and at . @ - _ +, so `smith` finds "John Smith", "smithson@example.com" and "Smith & Co", ' +
      'but not "Goldsmith".',
    maxItems: 10,
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  'keywords[]'?: string[];

  @ApiPropertyOptional({ description: 'Same as keywords[]', type: [String] })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  keywords?: string[];

  @ApiPropertyOptional({ enum: STAX_SORT_FIELDS, default: 'created_at' })
  @IsOptional()
  @IsIn(STAX_SORT_FIELDS)
  sort?: (typeof STAX_SORT_FIELDS)[number];

  @ApiPropertyOptional({
    enum: ['ASC', 'DESC', 'asc', 'desc'],
    default: 'DESC',
    description: 'Case-insensitive.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(['ASC', 'DESC'])
  order?: 'ASC' | 'DESC';

  @ApiPropertyOptional({
    type: 'string',
    format: 'uuid',
    description:
      'A customer id: the page starts right after that customer, in created_at order (sort left out or ' +
      'sort=created_at; not with page). To read every customer, e.g. for a sync, start without it and pass ' +
      "the last id of each page as the next page's after: each page costs the same however deep, and " +
      'customers added or deleted meanwhile never shift the others. next_page_url carries it for you.',
  })
  @IsOptional()
  @IsUUID('4', { message: 'after must be a customer id (a UUID)' })
  after?: string;

  @ApiPropertyOptional({ enum: ['without', 'with', 'only'], default: 'without' })
  @IsOptional()
  @IsIn(['without', 'with', 'only'])
  trashed?: 'without' | 'with' | 'only';
}
