import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RuleCode, Severity } from '@hgtrace/common';
import { type DesiredFlag, FlagsService } from '@hgtrace/flags';
import { evaluateCompliance, type Finding, formatKg } from './compliance/index.js';
import { ComplianceFactsService, type DeclarationContent } from './compliance-facts.service.js';
import { PairCheckService } from './pair-check.service.js';

/** The codes the per-declaration compliance check owns: it raises and closes these, and only these. */
export const COMPLIANCE_CODES: readonly RuleCode[] = [
  'LICENCE_MISSING', 'LICENCE_INACTIVE', 'LICENCE_QUANTITY_EXCEEDED', 'CONSENT_MISSING', 'CONSENT_MISMATCH', 'CONSENT_QUANTITY_EXCEEDED', 'NON_PARTY_UNCERTIFIED',
];

/** Licence findings concern the declaring country alone; consent and non-Party findings the partner too. */
const OWN_COUNTRY_ONLY = new Set<RuleCode>(['LICENCE_MISSING', 'LICENCE_INACTIVE', 'LICENCE_QUANTITY_EXCEEDED']);
const SCORE: Record<Severity, number> = { high: 0.9, medium: 0.6, low: 0.3 };

interface StoredDeclaration extends DeclarationContent {
  id: string;
  version: number;
  status: 'received' | 'amended' | 'cancelled';
}

/**
 * The background check of one declaration: the compliance rules on the declaration as it stands,
 * reconciled into flags (raised, updated, or closed when they no longer hold), then matching and the
 * pair rules for every export the declaration may belong to. The declaration row is
 * locked while it runs, so two checks of one declaration never interleave; a check of a version that
 * has since been amended does nothing (the newer version's job follows). Running it again changes
 * nothing.
 */
@Injectable()
export class CheckService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly facts: ComplianceFactsService,
    private readonly flags: FlagsService,
    private readonly pairs: PairCheckService,
  ) {}

  async check(declarationId: string, version: number): Promise<'checked' | 'superseded' | 'missing'> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query(
        `SELECT d.id, d.version, d.status, d.country, d.flow, d.number, to_char(d.date, 'YYYY-MM-DD') AS date, d.trader_national_id, d.trader_name,
                d.counterparty_name, d.counterparty_country, d.partner_country, d.origin_country, d.licence_number, d.consent_reference,
                (SELECT json_agg(json_build_object('hsCode', i.hs_code, 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd, 'description', i.description) ORDER BY i.line)
                   FROM declaration_items i WHERE i.declaration_id = d.id) AS items
           FROM declarations d WHERE d.id = $1 FOR UPDATE`,
        [declarationId],
      );
      if (!row) return 'missing';
      if (row.version !== version) return 'superseded';
      const declaration: StoredDeclaration = {
        id: row.id,
        version: row.version,
        status: row.status,
        country: row.country,
        flow: row.flow,
        number: row.number,
        date: row.date,
        trader: { nationalId: row.trader_national_id, name: row.trader_name },
        counterparty: { name: row.counterparty_name, country: row.counterparty_country },
        partnerCountry: row.partner_country,
        originCountry: row.origin_country,
        licenceNumber: row.licence_number,
        consentReference: row.consent_reference,
        items: (row.items as { hsCode: string; netMassKg: string; valueUsd: string; description: string | null }[]).map((i) => ({
          hsCode: i.hsCode, netMassKg: Number(i.netMassKg), valueUsd: Number(i.valueUsd), description: i.description,
        })),
      };
      const findings = declaration.status === 'cancelled' ? [] : evaluateCompliance(await this.facts.gather(declaration, declaration.id, manager));
      const subject = `declaration:${declaration.id}`;
      await this.flags.reconcile(manager, { subjects: [subject], codes: COMPLIANCE_CODES }, toFlags(declaration, subject, findings), 'crosscheck');
      for (const exportId of await this.pairs.exportsAffectedBy(manager, declaration.id)) await this.pairs.checkExport(manager, exportId);
      await manager.query(`UPDATE declarations SET check_status = 'checked', checked_version = $2 WHERE id = $1`, [declaration.id, version]);
      return 'checked';
    });
  }
}

/** One flag per rule code: findings of the same code on one declaration are one case. */
export function toFlags(declaration: StoredDeclaration, subject: string, findings: Finding[]): DesiredFlag[] {
  const byCode = new Map<RuleCode, Finding[]>();
  for (const finding of findings) byCode.set(finding.code, [...(byCode.get(finding.code) ?? []), finding]);
  const kg = formatKg(declaration.items.reduce((sum, i) => sum + Math.round(i.netMassKg * 1000), 0) / 1000);
  const what = `${declaration.flow === 'export' ? 'Export' : 'Import'} ${declaration.number} of ${kg} ${declaration.flow === 'export' ? 'to' : 'from'} ${declaration.partnerCountry}`;
  return [...byCode.entries()].map(([code, group]) => {
    const severity = group.some((f) => f.severity === 'high') ? 'high' : group.some((f) => f.severity === 'medium') ? 'medium' : 'low';
    return {
      code,
      subject,
      severity,
      score: SCORE[severity],
      summary: `${what}: ${group.map((f) => f.message).join('; ')}`,
      countries: OWN_COUNTRY_ONLY.has(code) ? [declaration.country] : [...new Set([declaration.country, declaration.partnerCountry])].sort(),
      declarationIds: [declaration.id],
      evidence: {
        declaration: { id: declaration.id, country: declaration.country, number: declaration.number, version: declaration.version, date: declaration.date, flow: declaration.flow },
        findings: group.map((f) => ({ message: f.message, ...(f.evidence ?? {}) })),
      },
    };
  });
}
