import type { ShipmentFacts } from './matching.types.js';

/**
 * Test data for the matcher and the pair rules: by default one clean shipment of 3,450 kg of mercury
 * (HS 280540) from Mexico to Bolivia under bill of lading MSCU1234567 in container MSCU7654321.
 * Exported on 2026-03-01 at 186,300 USD FOB; imported 20 days later at 197,478 USD CIF (FOB + 6 %),
 * with the names spelled as the other customs spells them.
 */

export const EXPORT_DATE = '2026-03-01';

type Item = ShipmentFacts['items'][number];

export function itemOf(overrides: Partial<Item> = {}): Item {
  return { hsCode: '280540', netMassKg: 3450, valueUsd: 186_300, mercuryClass: 'mercury', ...overrides };
}

export function exportOf(overrides: Partial<ShipmentFacts> = {}): ShipmentFacts {
  return {
    id: 'exp-mx-123',
    country: 'MX',
    flow: 'export',
    number: 'MX-2026-000123',
    date: EXPORT_DATE,
    traderName: 'Minera del Norte SA de CV',
    counterpartyName: 'Importadora Andina S.R.L.',
    counterpartyCountry: 'BO',
    partnerCountry: 'BO',
    originCountry: 'MX',
    transportDocumentKey: 'MSCU1234567',
    containerKeys: ['MSCU7654321'],
    items: [itemOf()],
    ...overrides,
  };
}

export function importOf(overrides: Partial<ShipmentFacts> = {}): ShipmentFacts {
  return {
    id: 'imp-bo-889',
    country: 'BO',
    flow: 'import',
    number: 'BO-2026-889',
    date: '2026-03-21',
    traderName: 'IMPORTADORA ANDINA SRL',
    counterpartyName: 'MINERA DEL NORTE, S.A. DE C.V.',
    counterpartyCountry: 'MX',
    partnerCountry: 'MX',
    originCountry: 'MX',
    transportDocumentKey: 'MSCU1234567',
    containerKeys: ['MSCU7654321'],
    items: [itemOf({ valueUsd: 197_478 })],
    ...overrides,
  };
}

/** An import without transport document or container: it can only match on its attributes. */
export function undocumentedImportOf(overrides: Partial<ShipmentFacts> = {}): ShipmentFacts {
  return importOf({ transportDocumentKey: null, containerKeys: [], ...overrides });
}
