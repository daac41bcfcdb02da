import { ApiProperty } from '@nestjs/swagger';

/** OpenAPI schema of Laravel's length-aware paginator envelope (laravel-page.ts), without its data. */
export abstract class LaravelPageView {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  current_page!: number;

  @ApiProperty({ example: 'http://localhost:3000/customer?page=1' })
  first_page_url!: string;

  @ApiProperty({ type: 'integer', nullable: true, example: 1, description: 'null on an empty page' })
  from!: number | null;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  last_page!: number;

  @ApiProperty({ example: 'http://localhost:3000/customer?page=1' })
  last_page_url!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description:
      'The next page: with page=, or, when this page was read with after=, with after= the last id here.',
  })
  next_page_url!: string | null;

  @ApiProperty({ example: 'http://localhost:3000/customer' })
  path!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 200, example: 50 })
  per_page!: number;

  @ApiProperty({ type: 'string', nullable: true, example: null })
  prev_page_url!: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 1, description: 'null on an empty page' })
  to!: number | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1,
    description:
      'All matches. A search with filters or keywords counts up to LIST_COUNT_LIMIT (10,000 by default) and ' +
      'stops: total is then that bound, and total_relation says gte.',
  })
  total!: number;

  @ApiProperty({
    enum: ['eq', 'gte'],
    example: 'eq',
    description: 'eq: total is exact; gte: there are at least total matches (the search stopped counting).',
  })
  total_relation!: 'eq' | 'gte';
}
