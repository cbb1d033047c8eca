import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ReferenceService } from '@hgtrace/reference';
import { licenceStatusOn, type LicenceStatusChange } from '@hgtrace/registry';
import type { ComplianceFacts, ConsentFacts, DeclarationFacts, ItemFacts, LicenceFacts } from './compliance/index.js';

/** A declaration's content as the rules need it: from a request body (verify) or from the database (checks). */
export type DeclarationContent = Omit<DeclarationFacts, 'items' | 'licenceNumber' | 'consentReference'> & {
  licenceNumber?: string | null;
  consentReference?: string | null;
  /** The items as filed; their mercury class is looked up here. */
  items: (Omit<ItemFacts, 'mercuryClass' | 'description'> & { description?: string | null })[];
};

interface LicenceRow {
  id: string;
  number: string;
  country: string;
  trader_id: string;
  trader_national_id: string;
  type: 'export' | 'import';
  hs_codes: string[];
  max_quantity_kg: string | null;
  valid_from: string;
  valid_to: string;
  status: 'active' | 'suspended' | 'revoked';
  history: LicenceStatusChange[];
  used_by_others: string;
}

interface ConsentRow {
  id: string;
  reference: string;
  type: ConsentFacts['type'];
  exporting_country: string;
  importing_country: string;
  exporter_national_id: string | null;
  importer_name: string | null;
  hs_codes: string[];
  quantity_kg: string | null;
  valid_from: string;
  valid_to: string;
  status: 'active' | 'withdrawn';
  withdrawn_on: string | null;
  non_party_certification: boolean;
  used_by_others: string;
}

const LICENCE_SELECT = `
  SELECT l.id, l.number, l.country, l.trader_id, t.national_id AS trader_national_id, l.type, l.hs_codes, l.max_quantity_kg::text,
         l.valid_from, l.valid_to, l.status,
         coalesce((SELECT json_agg(json_build_object('from', h.from_status, 'to', h.to_status, 'reason', h.reason, 'actor', h.actor,
                                                     'at', to_char(h.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY h.id)
                     FROM licence_status_changes h WHERE h.licence_id = l.id), '[]') AS history,
         (SELECT coalesce(sum(u.quantity_kg), 0)::text FROM licence_usages u JOIN declarations d ON d.id = u.declaration_id
           WHERE u.licence_id = l.id AND u.declaration_id IS DISTINCT FROM $DECL::uuid AND d.date BETWEEN l.valid_from AND l.valid_to) AS used_by_others
    FROM licences l JOIN traders t ON t.id = l.trader_id`;

const CONSENT_SELECT = `
  SELECT c.id, c.reference, c.type, c.exporting_country, c.importing_country, ex.national_id AS exporter_national_id, im.name AS importer_name,
         c.hs_codes, c.quantity_kg::text, c.valid_from, c.valid_to, c.status, to_char(c.withdrawn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS withdrawn_on,
         c.non_party_certification,
         (c.used_quantity_kg - coalesce((SELECT drawn_kg FROM consent_drawdowns d WHERE d.consent_id = c.id AND d.declaration_id = $DECL::uuid), 0))::text AS used_by_others
    FROM consents c LEFT JOIN traders ex ON ex.id = c.exporter_id LEFT JOIN traders im ON im.id = c.importer_id`;

/**
 * Gathers what the registries hold about a declaration, for the pure compliance rules. Quantities
 * used by other declarations exclude the declaration itself (`declarationId`), so a stored
 * declaration is judged exactly as it was at verify time.
 */
@Injectable()
export class ComplianceFactsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reference: ReferenceService,
  ) {}

  async gather(content: DeclarationContent, declarationId: string | null = null, manager: EntityManager = this.dataSource.manager): Promise<ComplianceFacts> {
    const declaration: DeclarationFacts = {
      country: content.country,
      flow: content.flow,
      number: content.number,
      date: content.date,
      trader: content.trader,
      counterparty: content.counterparty,
      partnerCountry: content.partnerCountry,
      originCountry: content.originCountry,
      licenceNumber: content.licenceNumber ?? null,
      consentReference: content.consentReference ?? null,
      items: content.items.map((i) => ({ ...i, description: i.description ?? null, mercuryClass: this.reference.mercuryClassOf(i.hsCode) })),
    };
    const withDecl = (sql: string) => sql.replaceAll('$DECL', '$1');
    const [traderRows, licenceRows, citedRows, consentRows, citedConsentRows] = await Promise.all([
      manager.query(`SELECT 1 FROM traders WHERE country = $1 AND national_id = $2`, [content.country, content.trader.nationalId]),
      manager.query(`${withDecl(LICENCE_SELECT)} WHERE l.country = $2 AND t.national_id = $3 ORDER BY l.valid_to DESC, l.number`, [declarationId, content.country, content.trader.nationalId]),
      content.licenceNumber
        ? manager.query(`${withDecl(LICENCE_SELECT)} WHERE l.country = $2 AND l.number = $3`, [declarationId, content.country, content.licenceNumber])
        : Promise.resolve([]),
      manager.query(
        `${withDecl(CONSENT_SELECT)} WHERE (c.exporting_country = $2 AND c.importing_country = $3) OR (c.exporting_country = $3 AND c.importing_country = $2)
          ORDER BY c.valid_from, c.created_at`,
        [declarationId, content.country, content.partnerCountry],
      ),
      content.consentReference
        ? manager.query(
            `${withDecl(CONSENT_SELECT)} WHERE c.reference = $2
              ORDER BY (c.exporting_country IN ($3, $4) AND c.importing_country IN ($3, $4)) DESC, c.created_at LIMIT 1`,
            [declarationId, content.consentReference, content.country, content.partnerCountry],
          )
        : Promise.resolve([]),
    ]);
    const country = this.reference.country(content.country)?.minamataPartySince ?? null;
    const partner = this.reference.country(content.partnerCountry)?.minamataPartySince ?? null;
    return {
      declaration,
      traderRegistered: traderRows.length > 0,
      traderLicences: (licenceRows as LicenceRow[]).map((r) => toLicenceFacts(r, content.date)),
      citedLicence: citedRows.length ? toLicenceFacts((citedRows as LicenceRow[])[0], content.date) : null,
      pairConsents: (consentRows as ConsentRow[]).map(toConsentFacts),
      citedConsent: citedConsentRows.length ? toConsentFacts((citedConsentRows as ConsentRow[])[0]) : null,
      partySince: { country, partner },
    };
  }
}

function toLicenceFacts(r: LicenceRow, date: string): LicenceFacts {
  const statusOn = licenceStatusOn({ validFrom: r.valid_from, validTo: r.valid_to, stored: r.status, history: r.history }, date);
  const stored = statusOn.status === 'expired' ? 'active' : statusOn.status;
  const lastChange = [...r.history].reverse().find((h) => h.at.slice(0, 10) <= date) ?? null;
  return {
    id: r.id,
    number: r.number,
    country: r.country,
    traderId: r.trader_id,
    traderNationalId: r.trader_national_id,
    type: r.type,
    hsCodes: r.hs_codes,
    maxQuantityKg: r.max_quantity_kg === null ? null : Number(r.max_quantity_kg),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    statusOnDate: stored,
    lastChange: lastChange ? { to: lastChange.to, at: lastChange.at.slice(0, 10), reason: lastChange.reason } : null,
    usedByOthersKg: Number(r.used_by_others),
  };
}

function toConsentFacts(r: ConsentRow): ConsentFacts {
  return {
    id: r.id,
    reference: r.reference,
    type: r.type,
    exportingCountry: r.exporting_country,
    importingCountry: r.importing_country,
    exporterNationalId: r.exporter_national_id,
    importerName: r.importer_name,
    hsCodes: r.hs_codes,
    quantityKg: r.quantity_kg === null ? null : Number(r.quantity_kg),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    status: r.status,
    withdrawnOn: r.withdrawn_on,
    nonPartyCertification: r.non_party_certification,
    usedByOthersKg: Number(r.used_by_others),
  };
}
