import type { ValidationError } from 'class-validator';
import { validationMessages } from './validation';

const error = (property: string, constraints: Record<string, string>, children: ValidationError[] = []) =>
  ({ property, constraints, children }) as ValidationError;

describe('validationMessages', () => {
  it('gives the type check when it failed, whatever else failed with it', () => {
    const messages = validationMessages([
      error('take', {
        max: 'take must not be greater than 100',
        min: 'take must not be less than 1',
        isInt: 'take must be an integer number',
      }),
    ]);
    expect(messages).toEqual(['take must be an integer number']);
  });

  it('otherwise gives the check written first (listed last)', () => {
    const messages = validationMessages([
      error('email', {
        isEmail: 'email must be a valid email address',
        maxChars: 'email must be shorter than or equal to 255 characters',
      }),
    ]);
    expect(messages).toEqual(['email must be shorter than or equal to 255 characters']);
  });

  it('gives one message per field and names nested fields by their path', () => {
    const messages = validationMessages([
      error('a', { isString: 'a must be a string' }),
      error('b', {}, [
        error('c', { isInt: 'c must be an integer number', min: 'c must not be less than 1' }),
      ]),
    ]);
    expect(messages).toEqual(['a must be a string', 'b.c must be an integer number']);
  });
});
