import type { ComplianceFacts, ConsentFacts, DeclarationFacts, ItemFacts, LicenceFacts } from './compliance.types.js';

/**
 * Test data for the compliance rules: by default a compliant export of 3,450 kg of mercury
 * (HS 280540) from Mexico to Bolivia dated 2026-03-01, under export licence MX-EXP-0042 (ceiling
 * 10,000 kg) and Bolivia's written consent BO-PIC-2026-007 (5,000 kg), both cited.
 */

export const DECLARATION_DATE = '2026-03-01';

export function buildItem(overrides: Partial<ItemFacts> = {}): ItemFacts {
  return {
    hsCode: '280540',
    netMassKg: 3450,
    valueUsd: 186_300,
    description: 'Mercurio metalico en frascos de 34.5 kg',
    mercuryClass: 'mercury',
    ...overrides,
  };
}

export function buildLicence(overrides: Partial<LicenceFacts> = {}): LicenceFacts {
  return {
    id: 'lic-0042',
    number: 'MX-EXP-0042',
    country: 'MX',
    traderId: 'trader-mxa-0001',
    traderNationalId: 'MXA-0001',
    type: 'export',
    hsCodes: ['280540'],
    maxQuantityKg: 10_000,
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    statusOnDate: 'active',
    lastChange: null,
    usedByOthersKg: 0,
    ...overrides,
  };
}

export function buildConsent(overrides: Partial<ConsentFacts> = {}): ConsentFacts {
  return {
    id: 'consent-007',
    reference: 'BO-PIC-2026-007',
    type: 'written_consent',
    exportingCountry: 'MX',
    importingCountry: 'BO',
    exporterNationalId: 'MXA-0001',
    importerName: 'Comercializadora Andina S.R.L.',
    hsCodes: ['280540'],
    quantityKg: 5_000,
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    status: 'active',
    withdrawnOn: null,
    nonPartyCertification: false,
    usedByOthersKg: 0,
    ...overrides,
  };
}

export interface ComplianceFactsOverrides {
  declaration?: Partial<DeclarationFacts>;
  /** Applied to the default licence, which the trader holds and the declaration cites. */
  licence?: Partial<LicenceFacts>;
  /** Applied to the default consent, which is between MX and BO and the declaration cites. */
  consent?: Partial<ConsentFacts>;
  traderRegistered?: boolean;
  traderLicences?: LicenceFacts[];
  citedLicence?: LicenceFacts | null;
  pairConsents?: ConsentFacts[];
  citedConsent?: ConsentFacts | null;
  partySince?: Partial<ComplianceFacts['partySince']>;
}

export function buildComplianceFacts(overrides: ComplianceFactsOverrides = {}): ComplianceFacts {
  const licence = buildLicence(overrides.licence);
  const consent = buildConsent(overrides.consent);
  const declaration: DeclarationFacts = {
    country: 'MX',
    flow: 'export',
    number: 'MX-2026-000123',
    date: DECLARATION_DATE,
    trader: { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' },
    counterparty: { name: 'COMERCIALIZADORA ANDINA SRL', country: 'BO' },
    partnerCountry: 'BO',
    originCountry: 'MX',
    licenceNumber: licence.number,
    consentReference: consent.reference,
    items: [buildItem()],
    ...overrides.declaration,
  };
  return {
    declaration,
    traderRegistered: overrides.traderRegistered ?? true,
    traderLicences: overrides.traderLicences ?? [licence],
    citedLicence: overrides.citedLicence !== undefined ? overrides.citedLicence : declaration.licenceNumber ? licence : null,
    pairConsents: overrides.pairConsents ?? [consent],
    citedConsent:
      overrides.citedConsent !== undefined ? overrides.citedConsent : declaration.consentReference ? consent : null,
    partySince: { country: '2017-08-16', partner: '2017-08-16', ...overrides.partySince },
  };
}
