import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
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
    description: 'Case-insensitive substring of first or last name, e.g. `john`',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({
    description: 'Case-insensitive substring of the email, e.g. `@newcompany.com`',
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  email?: string;
}
