import { validate, type ValidationError } from 'class-validator';
import { decimalPlaces, IsDecimalNumber, validationDetails } from './validation.js';

describe('validationDetails', () => {
  it('builds field paths through nested objects and arrays', () => {
    const errors: ValidationError[] = [
      {
        property: 'items',
        children: [{ property: '0', children: [{ property: 'netMassKg', constraints: { isPositive: 'netMassKg must be a positive number' }, children: [] }] }],
      },
      { property: 'role', constraints: { whitelistValidation: 'property role should not exist' }, children: [] },
    ];
    expect(validationDetails(errors)).toEqual([
      { path: 'items[0].netMassKg', message: 'must be a positive number' },
      { path: 'role', message: 'is not allowed' },
    ]);
  });
});

describe('IsDecimalNumber', () => {
  class Quantity {
    @IsDecimalNumber(3) kg: unknown;
  }
  const check = async (kg: unknown) => (await validate(Object.assign(new Quantity(), { kg }))).map((e) => Object.values(e.constraints ?? {})).flat();

  it('counts decimals in exponent notation too', () => {
    expect([0.125, 5e-7, 1.5e-7, 1e21, 3450, 5e-324].map(decimalPlaces)).toEqual([3, 7, 8, 0, 0, 324]);
  });

  it('accepts up to the given decimals and refuses more, other types and non-finite numbers, without throwing', async () => {
    for (const ok of [3450, 0.125, 1e21, -2.5]) expect(await check(ok)).toEqual([]);
    for (const bad of [0.0001, 5e-7, 5e-324, Number.NaN, Infinity, '3450', null, [1]]) expect(await check(bad)).toEqual(['kg must be a number with at most 3 decimals']);
  });
});
