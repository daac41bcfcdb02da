import { ApiPropertyOptional } from '@nestjs/swagger';
import type { SearchColumn, SortColumn } from '../customers.repository';
import { StaxPageQuery } from './stax-page-query.dto';
import { toList } from './validators';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

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

/** Each keywords[] entry must match one of these. */
export const STAX_KEYWORD_FIELDS = [
  'id',
  'firstname',
  'lastname',
  'email',
  'company',
  'notes',
  'reference',
  'phone',
] as const satisfies readonly SearchColumn[];

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
] as const satisfies readonly SearchColumn[];

// The example goes in the description, not `example`: Swagger UI pre-fills examples into "Try it
// out", and eleven ANDed filters would make the first listing a newcomer runs come back empty.
const filter = (example: string) =>
  ApiPropertyOptional({
    type: 'string',
    description: `Case-insensitive substring match, e.g. \`${example}\``,
    maxLength: 255,
  });

/** Query of GET /customer. Unknown parameters are refused, like unknown body fields. */
export class StaxListQuery extends StaxPageQuery {
  @filter('John') @IsOptional() @IsString() @MaxLength(255) firstname?: string;
  @filter('Smith') @IsOptional() @IsString() @MaxLength(255) lastname?: string;
  @filter('Acme') @IsOptional() @IsString() @MaxLength(255) company?: string;
  @filter('@example.com') @IsOptional() @IsString() @MaxLength(255) email?: string;
  @filter('555') @IsOptional() @IsString() @MaxLength(255) phone?: string;
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
      'Repeatable. Each keyword must match (case-insensitive substring) at least one of id, firstname, ' +
      'lastname, email, company, notes, reference, phone.',
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

  @ApiPropertyOptional({ enum: ['without', 'with', 'only'], default: 'without' })
  @IsOptional()
  @IsIn(['without', 'with', 'only'])
  trashed?: 'without' | 'with' | 'only';
}
