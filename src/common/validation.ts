import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { ClassConstructor, ClassTransformOptions, plainToInstance } from 'class-transformer';
import { validate, ValidationError, ValidatorOptions } from 'class-validator';

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
const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
};
const TRANSFORM_OPTIONS: ClassTransformOptions = { enableImplicitConversion: false };

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    transformOptions: TRANSFORM_OPTIONS,
    exceptionFactory: (errors) => new BadRequestException(validationMessages(errors)),
  });
}

/**
 * Checks one object exactly as the global pipe checks a request body of that class (the same
 * options, the same messages): for what arrives other than as a body, such as the items of a
 * batch or the rows of an import file.
 */
export async function validateAs<T extends object>(
  cls: ClassConstructor<T>,
  plain: Record<string, unknown>,
): Promise<{ value: T; messages?: undefined } | { value?: undefined; messages: string[] }> {
  const value = plainToInstance(cls, plain, TRANSFORM_OPTIONS);
  const errors = await validate(value, VALIDATOR_OPTIONS);
  return errors.length > 0 ? { messages: validationMessages(errors) } : { value };
}
