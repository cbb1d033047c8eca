import type { RuleCode, Severity } from '@hgtrace/common';
import type { MercuryClass } from '../compliance/compliance.types.js';

/**
 * A stored declaration as the matcher and the pair rules see it. Pure data: the worker loads these
 * from the database; the functions here never touch it.
 */
export interface ShipmentFacts {
  id: string;
  /** Declaring country. */
  country: string;
  flow: 'export' | 'import';
  number: string;
  /** YYYY-MM-DD */
  date: string;
  /** The declaring trader: exporter of an export, importer of an import. */
  traderName: string;
  /** Consignee of an export, consignor of an import. */
  counterpartyName: string;
  counterpartyCountry: string;
  /** Destination of an export, consignment country of an import. */
  partnerCountry: string;
  originCountry: string;
  /** Transport document normalised (upper case, no spaces, dashes, dots or slashes), or null. */
  transportDocumentKey: string | null;
  /** Container numbers normalised the same way. */
  containerKeys: string[];
  items: { hsCode: string; netMassKg: number; valueUsd: number; mercuryClass: MercuryClass }[];
}

export interface MatchingOptions {
  /** Days after an export within which its import may be declared (MATCH_WINDOW_DAYS, 120). */
  windowDays: number;
  /** Days an import may precede its export (DATE_TOLERANCE_DAYS, 1). */
  dateToleranceDays: number;
  /** Trigram similarity under which two names differ (COUNTERPARTY_SIMILARITY, 0.45). */
  counterpartySimilarity: number;
  /** QUANTITY_MISMATCH: both must be exceeded (QUANTITY_TOLERANCE_PCT 2, QUANTITY_TOLERANCE_KG 1). */
  quantityTolerancePct: number;
  quantityToleranceKg: number;
  /** VALUE_ANOMALY: CIF/FOB factor in percent (6) and tolerance in percent (25). */
  cifFobPct: number;
  valueTolerancePct: number;
}

export type MatchBasis = 'transport_document' | 'container' | 'attributes';

export interface Match {
  import: ShipmentFacts;
  basis: MatchBasis;
  /** 1 for a shared transport document or container; the name similarity for an attribute match. */
  score: number;
}

export interface PairFinding {
  code: RuleCode;
  severity: Severity;
  /** One line an analyst can act on, e.g. "Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 2,760 kg, 20.0 % less". */
  message: string;
  /** The declarations involved: the export first, then the imports. */
  declarationIds: string[];
  /** Countries involved (export country, import countries). */
  countries: string[];
  /** The figures side by side, and the tolerance that was exceeded. */
  evidence: Record<string, unknown>;
}
