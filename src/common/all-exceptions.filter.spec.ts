import {
  ConflictException,
  ForbiddenException,
  HttpException,
  NotFoundException,
  PreconditionFailedException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { errorResponse, shouldRetry } from './all-exceptions.filter';

const advice = (exception: unknown) => errorResponse(exception, 'req-1').headers['x-should-retry'];

describe('x-should-retry on error responses', () => {
  it('is true where waiting can change the answer', () => {
    const inFlight = Object.assign(new ConflictException('still in progress'), {
      headers: { 'Retry-After': '1' },
    });
    expect(advice(inFlight)).toBe('true');
    expect(advice(new HttpException('Too many requests', 429))).toBe('true');
    expect(advice(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('true');
  });

  it('is false where a retry gets the same answer', () => {
    expect(advice(new ConflictException('A customer with this email already exists'))).toBe('false');
    expect(advice(new PreconditionFailedException())).toBe('false');
    expect(advice(new UnprocessableEntityException())).toBe('false');
    expect(advice(new ForbiddenException())).toBe('false');
    expect(advice(new NotFoundException())).toBe('false');
  });

  it('leaves other server errors to the client', () => {
    expect(advice(new Error('boom'))).toBeUndefined();
    expect(shouldRetry(200, {})).toBeUndefined();
  });
});
