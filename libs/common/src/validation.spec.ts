import type { ValidationError } from 'class-validator';
import { validationDetails } from './validation.js';

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
