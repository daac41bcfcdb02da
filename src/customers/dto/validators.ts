/** class-validator decorators for the customer's field rules (docs/behaviour.md), built on the pure rules. */
import { registerDecorator, ValidateIf, ValidationArguments, ValidationOptions } from 'class-validator';
import { countryCodeProblem, isValidPhone } from '../customer-rules';

/**
 * Skip the field's other checks when it is absent, null or an empty string: those clear the
 * field (docs/behaviour.md, "Write rules"), they are not values to validate.
 */
export const ClearableOptional = () =>
  ValidateIf(
    (_o, v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === ''),
  );

/** Absent is fine, but a present value is checked (null included): for fields that cannot be cleared. */
export const NotNullIfPresent = () => ValidateIf((_o, v: unknown) => v !== undefined);

export function rule(
  name: string,
  check: (value: unknown) => boolean,
  defaultMessage: (args: ValidationArguments) => string,
  options?: ValidationOptions,
) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options,
      validator: { validate: check, defaultMessage },
    });
}

export const IsPhone = (options?: ValidationOptions) =>
  rule(
    'isPhone',
    (v) => typeof v === 'string' && isValidPhone(v),
    (a) => `${a.property} must have 10-15 digits, written with digits, spaces, - . ( ) and a leading +`,
    options,
  );

export const IsAlpha3Country = (options?: ValidationOptions) =>
  rule(
    'isAlpha3Country',
    (v) => typeof v === 'string' && countryCodeProblem(v) === null,
    (a) =>
      typeof a.value === 'string'
        ? (countryCodeProblem(a.value) ?? '')
        : 'address_country must be an ISO 3166-1 alpha-3 country code',
    options,
  );

/**
 * At most `max` characters, counted as MySQL counts a VARCHAR's width: in code points. class-validator's
 * MaxLength leaves variation selectors (U+FE0E, U+FE0F) uncounted, so a value it passes could be too
 * long for its column on MySQL (a 500) while SQLite stored it whole.
 */
export const MaxChars = (max: number, options?: ValidationOptions) =>
  rule(
    'maxChars',
    (v) => typeof v === 'string' && [...v].length <= max,
    (a) => `${a.property} must be shorter than or equal to ${max} characters`,
    options,
  );

export const IsPlainObject = (options?: ValidationOptions) =>
  rule(
    'isPlainObject',
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    (a) => `${a.property} must be an object or null`,
    options,
  );

export const MaxJsonBytes = (max: number, options?: ValidationOptions) =>
  rule(
    'maxJsonBytes',
    (v) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8') <= max,
    (a) => `${a.property} must be at most ${max} bytes as JSON`,
    options,
  );

/** The OpenAPI description of an integer query parameter (see toInt). */
export const WHOLE_NUMBER = 'A whole-number decimal (`20.0`) is accepted.';

/**
 * Query transforms: "12" → 12, and "12.0" too, since SDKs that type every number as a float send
 * it so (anything else is left for the integer check to refuse); one value → a list.
 */
export const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,9}(\.0+)?$/.test(value) ? Number(value) : value;
export const toList = ({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value);
