import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { stringify } from 'csv-stringify/sync';
import type { DataSource } from 'typeorm';
import { ensureCanActIn } from '@hgtrace/auth';
import { type Actor, ValidationFailedError } from '@hgtrace/common';
import { ReferenceService } from '@hgtrace/reference';
import { toNumber } from '@hgtrace/registry';
import type { Article21Consent, Article21Flow, Article21Query, Article21Report } from './article21.dto.js';

interface Group {
  flow: 'export' | 'import';
  partner_country: string | null;
  consent_reference: string | null;
  consent_id: string | null;
  /** GROUPING(partner_country, consent_reference): 0 a consent line, 1 a partner's total, 3 the flow's total. */
  level: 0 | 1 | 3;
  kg: string;
  declarations: number;
}

/**
 * The mercury trade section of a Party's report under Article 21 of the Minamata Convention: what
 * its customs declared imported and exported of mercury (HS codes of class `mercury`, 2805.40) in a
 * period, by partner, with the consents they used. Cancelled declarations do not count;
 * amended ones count as they now stand. Sums are made in SQL on numeric, so they are exact.
 */
@Injectable()
export class Article21Service {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reference: ReferenceService,
  ) {}

  async report(actor: Actor, query: Article21Query): Promise<Article21Report> {
    this.reference.assertCountries({ country: query.country });
    if (query.to < query.from) throw ValidationFailedError.of('to', 'must be on or after from');
    ensureCanActIn(actor, query.country, 'read the Article 21 report');

    const groups: Group[] = await this.dataSource.query(
      `WITH lines AS (
         SELECT d.id, d.flow, d.partner_country, coalesce(c.reference, d.consent_reference) AS consent_reference, c.id AS consent_id, i.net_mass_kg
           FROM declarations d
           JOIN declaration_items i ON i.declaration_id = d.id
           -- The consent used: the one cited, for this pair of countries; else the one the export drew from.
           LEFT JOIN LATERAL (
                SELECT c.id, c.reference FROM consents c
                 WHERE (c.reference = d.consent_reference AND d.country IN (c.exporting_country, c.importing_country)
                        AND d.partner_country IN (c.exporting_country, c.importing_country))
                    OR c.id = d.consent_id
                 ORDER BY (c.reference = d.consent_reference) DESC, (c.type <> 'export_notification') DESC LIMIT 1) c ON true
          WHERE d.country = $1 AND d.status <> 'cancelled' AND d.date BETWEEN $2::date AND $3::date
            -- The class of the longest listed HS code the item's code starts with, as ReferenceService.mercuryClassOf.
            AND (SELECT h.mercury_class FROM hs_codes h WHERE i.hs_code LIKE h.code || '%' ORDER BY length(h.code) DESC LIMIT 1) = 'mercury'
       )
       SELECT flow, partner_country, consent_reference, consent_id, GROUPING(partner_country, consent_reference) AS level,
              sum(net_mass_kg)::text AS kg, count(DISTINCT id)::int AS declarations
         FROM lines
        GROUP BY GROUPING SETS ((flow), (flow, partner_country), (flow, partner_country, consent_reference, consent_id))
        ORDER BY flow, sum(net_mass_kg) DESC, partner_country, consent_reference NULLS LAST`,
      [query.country, query.from, query.to],
    );
    const consentIds = [...new Set(groups.map((g) => g.consent_id).filter((id): id is string => id !== null))];
    const consents: Record<string, string | null>[] = consentIds.length
      ? await this.dataSource.query(
          `SELECT id, reference, type, status, exporting_country, importing_country, purpose,
                  to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to,
                  quantity_kg::text AS quantity_kg, used_quantity_kg::text AS used_kg, (quantity_kg - used_quantity_kg)::text AS remaining_kg
             FROM consents WHERE id = ANY ($1) ORDER BY reference, id`,
          [consentIds],
        )
      : [];
    return {
      country: query.country,
      from: query.from,
      to: query.to,
      imports: this.flow(groups.filter((g) => g.flow === 'import')),
      exports: this.flow(groups.filter((g) => g.flow === 'export')),
      consents: consents.map(
        (c): Article21Consent => ({
          id: c.id!, reference: c.reference!, type: c.type!, status: c.status!, exportingCountry: c.exporting_country!, importingCountry: c.importing_country!,
          purpose: c.purpose!, validFrom: c.valid_from!, validTo: c.valid_to!, quantityKg: toNumber(c.quantity_kg), usedQuantityKg: toNumber(c.used_kg) ?? 0,
          remainingQuantityKg: toNumber(c.remaining_kg),
        }),
      ),
    };
  }

  /**
   * The report as one CSV table: a line per flow, partner and consent cited (empty consent columns
   * for declarations that cite none), so that a partner's total is the sum of its lines.
   */
  toCsv(report: Article21Report): string {
    const consents = new Map(report.consents.map((c) => [c.id, c]));
    const lines = (['export', 'import'] as const).flatMap((flow) =>
      report[flow === 'export' ? 'exports' : 'imports'].byPartner.flatMap((p) =>
        p.consents.map((use) => {
          const consent = use.consentId ? consents.get(use.consentId) : undefined;
          return [
            report.country, report.from, report.to, flow, p.partnerCountry, p.partnerName, use.reference ?? '', consent?.type ?? '', consent?.status ?? '',
            consent?.quantityKg ?? '', consent?.usedQuantityKg ?? '', use.netMassKg, use.declarations,
          ];
        }),
      ),
    );
    return stringify(lines, { header: true, columns: ARTICLE21_CSV_COLUMNS, cast: { number: String }, escape_formulas: true });
  }

  private flow(groups: Group[]): Article21Flow {
    const total = groups.find((g) => g.level === 3);
    return {
      totalKg: toNumber(total?.kg) ?? 0,
      declarations: total?.declarations ?? 0,
      byPartner: groups
        .filter((g) => g.level === 1)
        .map((p) => {
          const country = this.reference.country(p.partner_country!);
          return {
            partnerCountry: p.partner_country!,
            partnerName: country?.name ?? p.partner_country!,
            partnerMinamataPartySince: country?.minamataPartySince ?? null,
            netMassKg: toNumber(p.kg) ?? 0,
            declarations: p.declarations,
            consents: groups
              .filter((g) => g.level === 0 && g.partner_country === p.partner_country)
              .map((g) => ({ reference: g.consent_reference, consentId: g.consent_id, netMassKg: toNumber(g.kg) ?? 0, declarations: g.declarations })),
          };
        }),
    };
  }
}

export const ARTICLE21_CSV_COLUMNS = [
  'country', 'from', 'to', 'flow', 'partner_country', 'partner_name', 'consent_reference', 'consent_type', 'consent_status', 'consent_quantity_kg',
  'consent_used_quantity_kg', 'net_mass_kg', 'declarations',
];
