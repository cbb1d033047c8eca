import { randomUUID } from 'node:crypto';

/** A valid mercury export MX → BO, as API.md's example, with overrides. */
export function exportDeclaration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    country: 'MX',
    flow: 'export',
    number: `MX-2026-${randomUUID().slice(0, 8)}`,
    date: '2026-03-01',
    trader: { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' },
    counterparty: { name: 'Importadora Andina SRL', country: 'BO', address: 'La Paz' },
    partnerCountry: 'BO',
    originCountry: 'MX',
    transportDocument: 'MSCU1234567',
    containers: ['MSCU1234565'],
    licenceNumber: 'MX-EXP-0042',
    consentReference: 'BO-PIC-2026-007',
    transportMode: 'sea',
    items: [{ hsCode: '280540', description: 'Mercury, 100 flasks', netMassKg: 3450, valueUsd: 186300 }],
    ...overrides,
  };
}
