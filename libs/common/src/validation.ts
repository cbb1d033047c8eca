import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
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
