import type { RuleCode, Severity } from '@hgtrace/common';

/**
 * The facts the compliance rules look at: one declaration and what the registries hold about it,
 * gathered beforehand (by the verify endpoint or the background check). The rules are pure
 * functions of these facts: no database, no clock, no Nest.
 */

export type MercuryClass = 'mercury' | 'compound' | 'product' | 'cover' | 'other';

export interface DeclarationFacts {
  /** Declaring country, ISO alpha-2. */
  country: string;
  flow: 'export' | 'import';
  number: string;
  /** Acceptance date, YYYY-MM-DD. */
  date: string;
  /** The declaring trader (exporter for an export, importer for an import). */
  trader: { nationalId: string; name: string };
  counterparty: { name: string; country: string };
  /** Destination for an export, consignment country for an import. */
  partnerCountry: string;
  originCountry: string;
  licenceNumber?: string | null;
  consentReference?: string | null;
  items: ItemFacts[];
}

export interface ItemFacts {
  hsCode: string;
  netMassKg: number;
  valueUsd: number;
  description?: string | null;
  /** The mercury class of hsCode (reference data). */
  mercuryClass: MercuryClass;
}

export interface LicenceFacts {
  id: string;
  number: string;
  country: string;
  /** The registered trader holding it. */
  traderId: string;
  traderNationalId: string;
  type: 'export' | 'import';
  /** HS headings or codes covered, as prefixes. */
  hsCodes: string[];
  maxQuantityKg: number | null;
  validFrom: string;
  validTo: string;
  /** The stored status on the declaration date, from the licence's history (not derived from dates). */
  statusOnDate: 'active' | 'suspended' | 'revoked';
  /** When and why it reached that status, if it was changed: for the message. */
  lastChange?: { to: 'active' | 'suspended' | 'revoked'; at: string; reason: string } | null;
  /**
   * Kg already used under this licence by OTHER declarations dated within its validity (this
   * declaration excluded, so verify and re-checks count alike).
   */
  usedByOthersKg: number;
}

export interface ConsentFacts {
  id: string;
  reference: string;
  type: 'written_consent' | 'general_notification' | 'export_notification';
  exportingCountry: string;
  importingCountry: string;
  /** National ids of the named traders, when the consent names them. */
  exporterNationalId: string | null;
  importerName: string | null;
  hsCodes: string[];
  quantityKg: number | null;
  validFrom: string;
  validTo: string;
  status: 'active' | 'withdrawn';
  /** The date (YYYY-MM-DD) it was withdrawn, if it was. */
  withdrawnOn: string | null;
  nonPartyCertification: boolean;
  /** Kg drawn from this consent by OTHER declarations (this one excluded). */
  usedByOthersKg: number;
}

export interface ComplianceFacts {
  declaration: DeclarationFacts;
  /** Whether the declaring trader is registered (country + national id) in the declaring country. */
  traderRegistered: boolean;
  /** Licences of the declaring trader in the declaring country, every type and status. */
  traderLicences: LicenceFacts[];
  /** The licence cited by number in the declaring country (whoever holds it), or null if none by that number. */
  citedLicence: LicenceFacts | null;
  /**
   * Consents between the two countries of the declaration (either direction), every type and
   * status; the rules pick those that fit.
   */
  pairConsents: ConsentFacts[];
  /** The consent cited by reference (any countries), or null if no consent has that reference. */
  citedConsent: ConsentFacts | null;
  /** Minamata Party since (entry into force), or null for non-Parties, of the two countries. */
  partySince: { country: string | null; partner: string | null };
}

export interface Finding {
  code: RuleCode;
  severity: Severity;
  /** One line a customs officer can act on: which licence or consent, which date, how many kg over. */
  message: string;
  /** The figures behind it, for the evidence. */
  evidence?: Record<string, unknown>;
}
