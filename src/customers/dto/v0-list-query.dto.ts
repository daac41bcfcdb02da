import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { CUSTOMER_STATUSES, CustomerStatus } from '../customer.entity';
import { V0_MESSAGES } from './v0-customer.dto';
import { toInt, WHOLE_NUMBER } from './validators';

/** skip/take paging as the v0 surface uses it. */
export class V0PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 10000, default: 0, description: WHOLE_NUMBER })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  skip?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 10, description: WHOLE_NUMBER })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  take?: number;
}

export class V0ListQuery extends V0PageQuery {
  @ApiPropertyOptional({ enum: CUSTOMER_STATUSES })
  @IsOptional()
  @IsIn(CUSTOMER_STATUSES, { message: V0_MESSAGES.status })
  status?: CustomerStatus;

  @ApiPropertyOptional({
    description:
      'Case-insensitive "starts with" of the first name, the last name, or "first last", e.g. `john sm`',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({
    description: 'The whole email address, case-insensitive, e.g. `john.smith@newcompany.com`',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  email?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'uuid',
    description:
      'A customer id: the page starts right after that customer (newest first; not with skip). To read ' +
      "every customer, pass the last id of each page as the next page's after: each page costs the same " +
      'however deep.',
  })
  @IsOptional()
  @IsUUID('4', { message: 'after must be a customer id (a UUID)' })
  after?: string;
}
