import { BadRequestException, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/** Checks of a value's type: when one fails, the other checks of that field have nothing to say. */
const TYPE_CHECKS = new Set(['isString', 'isBoolean', 'isArray', 'isInt', 'isNumber', 'isPlainObject']);

/**
 * One message per field (and per query parameter), the one that says what to fix first: a failed
 * type check if there is one (`{"firstname": 123}` is "must be a string", not a length), else the
 * field's first check as written in its class. class-validator lists a field's failed checks
 * last-written first, so that is the last one it lists.
 */
export function validationMessages(errors: ValidationError[], parentPath = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const failed = Object.entries(error.constraints ?? {});
    if (failed.length > 0) {
      const chosen = failed.find(([check]) => TYPE_CHECKS.has(check)) ?? failed[failed.length - 1];
      messages.push(parentPath ? `${parentPath}.${chosen[1]}` : chosen[1]);
    }
    if (error.children?.length) {
      messages.push(
        ...validationMessages(
          error.children,
          parentPath ? `${parentPath}.${error.property}` : error.property,
        ),
      );
    }
  }
  return messages;
}

/**
 * The global pipe: unknown fields and query parameters are refused, query strings become numbers
 * only where a DTO says so (no implicit conversion), and a failure is one 400 with one message per
 * field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequestException(validationMessages(errors)),
  });
}
