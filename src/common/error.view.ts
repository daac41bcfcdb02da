import { STATUS_CODES } from 'node:http';
import { ApiProperty } from '@nestjs/swagger';

/** The one error envelope (docs/behaviour.md, "Errors"): built only by errorBody(), shown by ErrorView. */
export function errorBody(status: number, message: string | string[], requestId: string): ErrorView {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, requestId };
}

/** OpenAPI schema of the error envelope. */
export class ErrorView {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated.' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The standard reason phrase of the status.' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
    example: ['address_country must be an ISO 3166-1 alpha-3 code (did you mean USA?)'],
    description: 'An array of human-readable strings for validation errors, a string otherwise.',
  })
  message!: string | string[];

  @ApiProperty({
    example: '3f0c8a52-6a0e-4f0b-9d47-0f6f0f4c2b1e',
    description: 'The x-request-id of this response (echoed from the request when given).',
  })
  requestId!: string;
}
