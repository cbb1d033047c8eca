import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { RuleCode, Severity } from '@hgtrace/common';
import { preparedStatement, queryPrepared } from '@hgtrace/database';
import { type DesiredFlag, FlagsService } from '@hgtrace/flags';
import { type ComplianceFacts, evaluateCompliance, type Finding, formatKg } from './compliance/index.js';
import { ComplianceFactsService, type DeclarationContent, type OwnQuantities, type RegistrySnapshot } from './compliance-facts.service.js';
import { PairCheckService } from './pair-check.service.js';

/** The codes the per-declaration compliance check owns: it raises and closes these, and only these. */
export const COMPLIANCE_CODES: readonly RuleCode[] = [
  'LICENCE_MISSING', 'LICENCE_INACTIVE', 'LICENCE_QUANTITY_EXCEEDED', 'CONSENT_MISSING', 'CONSENT_MISMATCH', 'CONSENT_QUANTITY_EXCEEDED', 'NON_PARTY_UNCERTIFIED',
];

/** Licence findings concern the declaring country alone; consent and non-Party findings the partner too. */
const OWN_COUNTRY_ONLY = new Set<RuleCode>(['LICENCE_MISSING', 'LICENCE_INACTIVE', 'LICENCE_QUANTITY_EXCEEDED']);
const SCORE: Record<Severity, number> = { high: 0.9, medium: 0.6, low: 0.3 };

const DECLARATION_COLUMNS = `
         d.id, d.version, d.status, d.country, d.flow, d.number, to_char(d.date, 'YYYY-MM-DD') AS date, d.trader_national_id, d.trader_name,
         d.counterparty_name, d.counterparty_country, d.partner_country, d.origin_country, d.licence_number, d.consent_reference,
         (SELECT json_agg(json_build_object('hsCode', i.hs_code, 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd, 'description', i.description) ORDER BY i.line)
            FROM declaration_items i WHERE i.declaration_id = d.id) AS items`;

const DECLARATION_SELECT = `SELECT ${DECLARATION_COLUMNS} FROM declarations d`;

/** Declarations $1 as the compliance rules see them, locked in id order for their check. */
const LOCK_DECLARATIONS = preparedStatement('hg_check_lock_declarations', `${DECLARATION_SELECT} WHERE d.id = ANY ($1) ORDER BY d.id FOR NO KEY UPDATE`);

/**
 * A run's chunk, declarations $1, in one statement: locked in id order, marked checked at their
 * version (as MARK_CHECKED does), and read as the compliance rules see them with what each counts
 * itself against licences (dated within their validity) and consents, which the facts statement of
 * a check would read. The marking is the chunk's own transaction's, so it commits with the flags.
 */
const RUN_CHUNK = preparedStatement('hg_run_compliance_chunk', `WITH locked AS (
     SELECT ${DECLARATION_COLUMNS}, d.check_status, d.checked_version,
            (SELECT coalesce(json_agg(json_build_object('licenceId', u.licence_id, 'kg', u.quantity_kg::text)), '[]')
               FROM licence_usages u JOIN licences l ON l.id = u.licence_id
              WHERE u.declaration_id = d.id AND u.declaration_date BETWEEN l.valid_from AND l.valid_to) AS own_licences,
            (SELECT coalesce(json_agg(json_build_object('consentId', w.consent_id, 'kg', w.drawn_kg::text)), '[]')
               FROM consent_drawdowns w WHERE w.declaration_id = d.id) AS own_consents
       FROM declarations d WHERE d.id = ANY ($1) ORDER BY d.id FOR NO KEY UPDATE
   ),
   marked AS (
     UPDATE declarations d SET check_status = 'checked', checked_version = l.version
       FROM locked l
      WHERE d.id = l.id AND (l.check_status, l.checked_version) IS DISTINCT FROM ('checked', l.version)
   )
   SELECT * FROM locked ORDER BY id`);

/** Declarations $1 marked checked at versions $2. */
const MARK_CHECKED = preparedStatement('hg_check_mark_checked', `UPDATE declarations d SET check_status = 'checked', checked_version = v.version
   FROM unnest($1::uuid[], $2::int[]) AS v(id, version)
  WHERE d.id = v.id AND (d.check_status, d.checked_version) IS DISTINCT FROM ('checked', v.version)`);

export interface CheckRequest {
  declarationId: string;
  /** The version the job was queued for: a check of an older version does nothing. */
  version: number;
}

export type CheckOutcome = 'checked' | 'superseded' | 'missing';

export interface StoredDeclaration extends DeclarationContent {
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

  async check(declarationId: string, version: number): Promise<CheckOutcome> {
    const [outcome] = await this.checkMany([{ declarationId, version }]);
    return outcome;
  }

  /**
   * Checks several declarations in one transaction, as a worker does with the check jobs it holds at
   * once: the compliance rules on all of them, then matching for the union of the exports they affect,
   * in the same fixed number of set-based queries as a single check. The declaration rows are locked
   * FOR NO KEY UPDATE in id order (two checks of one declaration serialise; a match inserted by another
   * check still takes its KEY SHARE lock); a request for a version since amended is `superseded`.
   * The outcomes are in the order of the requests.
   */
  async checkMany(requests: CheckRequest[]): Promise<CheckOutcome[]> {
    if (requests.length === 0) return [];
    return this.dataSource.transaction(async (manager) => {
      // The check's statements are prepared so that PostgreSQL parses them once per connection, but
      // planned on every call, for the arrays at hand and the tables as they stand: a generic plan
      // made while the tables were small would otherwise stay until the next ANALYZE.
      await manager.query(`SET LOCAL plan_cache_mode = force_custom_plan`);
      const ids = [...new Set(requests.map((r) => r.declarationId))].sort();
      const declarations = new Map(toStored(await queryPrepared<Record<string, any>[]>(manager, LOCK_DECLARATIONS, [ids])).map((d) => [d.id, d]));
      const outcomes = requests.map((r): CheckOutcome => {
        const declaration = declarations.get(r.declarationId);
        return !declaration ? 'missing' : declaration.version !== r.version ? 'superseded' : 'checked';
      });
      const due = [...new Set(requests.filter((_, i) => outcomes[i] === 'checked').map((r) => r.declarationId))].map((id) => declarations.get(id)!);
      if (due.length > 0) {
        await this.checkCompliance(manager, due);
        await this.pairs.checkExports(manager, await this.pairs.exportsAffectedBy(manager, due.map((d) => d.id)));
      }
      return outcomes;
    });
  }

  /**
   * The compliance rules on declarations as they stand, reconciled into flags (raised, updated, or
   * closed when they no longer hold) in a fixed number of queries however many there are, and the
   * declarations marked checked at their version.
   */
  async checkCompliance(manager: EntityManager, declarations: StoredDeclaration[]): Promise<void> {
    if (declarations.length === 0) return;
    const live = declarations.filter((d) => d.status !== 'cancelled');
    const facts = await this.facts.gatherMany(live.map((d) => ({ content: d, declarationId: d.id })), manager);
    await this.reconcileCompliance(manager, declarations, live, facts);
    await queryPrepared(manager, MARK_CHECKED, [declarations.map((d) => d.id), declarations.map((d) => d.version)]);
  }

  /**
   * A run's chunk: what checkCompliance does for declarations `ids`, judged against the run's
   * registry snapshot, in two statements (the chunk locked, read and marked checked in one, its
   * flags reconciled in the other).
   */
  async checkRunChunk(manager: EntityManager, ids: string[], registry: RegistrySnapshot): Promise<void> {
    if (ids.length === 0) return;
    const rows = await queryPrepared<Record<string, any>[]>(manager, RUN_CHUNK, [ids]);
    const declarations = toStored(rows);
    const own = new Map(rows.map((r): [string, OwnQuantities] => [r.id, { licences: r.own_licences, consents: r.own_consents }]));
    const live = declarations.filter((d) => d.status !== 'cancelled');
    const facts = this.facts.factsFromSnapshot(registry, live.map((d) => ({ content: d, declarationId: d.id, own: own.get(d.id)! })));
    await this.reconcileCompliance(manager, declarations, live, facts);
  }

  /** The flags of the compliance rules on `live` (with `facts` in the same order), reconciled over all of `declarations`. */
  private async reconcileCompliance(manager: EntityManager, declarations: StoredDeclaration[], live: StoredDeclaration[], facts: ComplianceFacts[]): Promise<void> {
    const desired = live.flatMap((d, i) => toFlags(d, `declaration:${d.id}`, evaluateCompliance(facts[i])));
    await this.flags.reconcile(manager, { subjects: declarations.map((d) => `declaration:${d.id}`), codes: COMPLIANCE_CODES }, desired, 'crosscheck');
  }
}

/** Rows of DECLARATION_SELECT as the compliance rules see them. */
function toStored(rows: Record<string, any>[]): StoredDeclaration[] {
  return rows.map((row) => ({
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
  }));
}

/** One flag per rule code: findings of the same code on one declaration are one case. */
export function toFlags(declaration: StoredDeclaration, subject: string, findings: Finding[]): DesiredFlag[] {
  // Most declarations of a run have no finding: spare them the summary's figures.
  if (findings.length === 0) return [];
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
