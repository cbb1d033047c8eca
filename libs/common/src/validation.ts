import { plainToInstance } from 'class-transformer';
import { buildMessage, validate, ValidateBy, type ValidationError, type ValidationOptions } from 'class-validator';
import { type ErrorDetail, ValidationFailedError } from './domain-error.js';

/**
 * class-validator errors as the error body's details, one per failed field, with paths such as
 * `items[0].netMassKg` and messages without the property name.
 */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({ path, message: humanise(rule, message, error.property) }));
    return own.concat(validationDetails(error.children ?? [], path));
  });
}

function humanise(rule: string, message: string, property: string): string {
  if (rule === 'whitelistValidation') return 'is not allowed';
  if (message.startsWith(`${property} `)) return message.slice(property.length + 1);
  if (message.startsWith(`each value in ${property} `)) return message.replace(`each value in ${property} `, 'each value ');
  return message;
}

/**
 * Validates a plain object against a DTO class with the same options as the HTTP pipeline; for
 * inputs that do not come through it (CLI options, CSV rows, batch items).
 */
export async function validateInput<T extends object>(type: new () => T, input: unknown): Promise<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw ValidationFailedError.of('', 'must be an object');
  const dto = plainToInstance(type, input);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: false } });
  if (errors.length > 0) throw new ValidationFailedError(validationDetails(errors));
  return dto;
}

/** Decimal places of a number in its shortest decimal form: 0.125 → 3, 5e-7 → 7, 1e21 → 0. */
export function decimalPlaces(value: number): number {
  const [mantissa, exponent = '0'] = String(value).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

/**
 * A finite number with at most `max` decimal places. Instead of class-validator's
 * IsNumber({ maxDecimalPlaces }), which throws a TypeError on a number JavaScript writes in exponent
 * notation (5e-7, 5e-324) and so answered such a quantity with a 500.
 */
export function IsDecimalNumber(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDecimalNumber',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && decimalPlaces(value) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be a number with at most ${max} decimals`, options),
      },
    },
    options,
  );
}
