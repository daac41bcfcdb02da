import { ApiPropertyOptional } from '@nestjs/swagger';
import { toInt, WHOLE_NUMBER } from './validators';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class StaxPageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1, description: WHOLE_NUMBER })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50, description: WHOLE_NUMBER })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  per_page?: number;
}
