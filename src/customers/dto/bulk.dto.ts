/**
 * Bodies and answers of POST /customer/bulk and POST /api/v0/customers/bulk. Each item is checked
 * by its surface's single-write body class (bulk-items.ts); these classes check the envelope and
 * document the items.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional } from 'class-validator';
import { BULK_MAX_ITEMS } from '../customers.service';
import { StaxCustomerBody } from './stax-customer.dto';
import { StaxCustomerView } from './stax-customer.view';
import { V0UpdateCustomerBody } from './v0-customer.dto';
import { V0CustomerView } from './v0-customer.view';

const ITEM_ID =
  'The customer to update (a partial update, as PUT/PATCH of one customer); leave it out to create a customer.';
const ITEM_ETAG =
  'Optional, as If-Match on a single update: the customer’s ETag (e.g. `"3"`, or `*`). A stale one fails ' +
  'this item with 412.';

const ATOMIC =
  'false (the default): items are independent; each item that succeeds is committed whole (its change and ' +
  'its audit entries), whatever happens to the others. true: all items or none; when one fails, nothing ' +
  'is written and every other item answers 424.';

const ITEMS =
  `1 to ${BULK_MAX_ITEMS} items, each a create (no id) or a partial update (id) with the same fields, rules ` +
  'and messages as the single route. An item that is not a JSON object fails alone with 400. Each item ' +
  'counts as one request against the rate limit.';

/** A Stax item: a customer body as POST/PUT /customer take it, plus `etag`. */
export class StaxBulkItem extends StaxCustomerBody {
  @ApiPropertyOptional({ type: 'string', format: 'uuid', readOnly: false, description: ITEM_ID })
  declare id?: unknown;

  @ApiPropertyOptional({ type: 'string', example: '"3"', description: ITEM_ETAG })
  etag?: string;
}

/** A v0 item: a customer body as PATCH (with id) or POST (without: first_name, last_name, phone_number needed). */
export class V0BulkItem extends V0UpdateCustomerBody {
  @ApiPropertyOptional({ type: 'string', format: 'uuid', description: ITEM_ID })
  id?: string;

  @ApiPropertyOptional({ type: 'string', example: '"3"', description: ITEM_ETAG })
  etag?: string;
}

abstract class BulkBody {
  @ApiPropertyOptional({ type: 'boolean', description: ATOMIC })
  @IsOptional()
  @IsBoolean()
  atomic?: boolean;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BULK_MAX_ITEMS)
  items!: unknown[];
}

export class StaxBulkBody extends BulkBody {
  @ApiProperty({ type: [StaxBulkItem], minItems: 1, maxItems: BULK_MAX_ITEMS, description: ITEMS })
  declare items: unknown[];
}

export class V0BulkBody extends BulkBody {
  @ApiProperty({ type: [V0BulkItem], minItems: 1, maxItems: BULK_MAX_ITEMS, description: ITEMS })
  declare items: unknown[];
}

class BulkItemError {
  @ApiProperty({ example: 409 })
  statusCode!: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'A customer with this email already exists',
    description: 'What the single route would answer: a list of messages for a 400, one message otherwise.',
  })
  message!: string | string[];
}

abstract class BulkResultView {
  @ApiProperty({ description: 'The item’s position in the request (from 0).', example: 0 })
  index!: number;

  @ApiProperty({
    description:
      'The status the single route would have answered for this item (a created customer: 200 on Stax, 201 ' +
      'on v0); 424 for an item of a failed atomic batch that did not fail itself.',
    example: 200,
  })
  status!: number;

  @ApiPropertyOptional({
    description: 'The customer’s ETag after the write, when the item succeeded.',
    example: '"2"',
  })
  etag?: string;

  @ApiPropertyOptional({ type: BulkItemError, description: 'Why the item failed, when it did.' })
  error?: BulkItemError;
}

class StaxBulkResult extends BulkResultView {
  @ApiPropertyOptional({ type: StaxCustomerView, description: 'The customer, when the item succeeded.' })
  customer?: StaxCustomerView;
}

class V0BulkResult extends BulkResultView {
  @ApiPropertyOptional({ type: V0CustomerView, description: 'The customer, when the item succeeded.' })
  customer?: V0CustomerView;
}

abstract class BulkResponseView {
  @ApiProperty({ description: 'Whether the batch was atomic.' })
  atomic!: boolean;

  @ApiProperty({ description: 'Items that succeeded (committed).', example: 2 })
  succeeded!: number;

  @ApiProperty({
    description: 'Items that failed or, in a failed atomic batch, were not applied.',
    example: 1,
  })
  failed!: number;
}

export class StaxBulkResponse extends BulkResponseView {
  @ApiProperty({ type: [StaxBulkResult], description: 'One result per item, in request order.' })
  results!: StaxBulkResult[];
}

export class V0BulkResponse extends BulkResponseView {
  @ApiProperty({ type: [V0BulkResult], description: 'One result per item, in request order.' })
  results!: V0BulkResult[];
}
