import type { EntityManager } from 'typeorm';
import type { RuleCode, Severity } from '@hgtrace/common';
import { preparedStatement, queryPrepared } from '@hgtrace/database';

/** A flag a check wants to exist: one per rule code and subject. */
export interface DesiredFlag {
  code: RuleCode;
  subject: string;
  severity: Severity;
  score: number;
  summary: string;
  countries: string[];
  declarationIds: string[];
  evidence: Record<string, unknown>;
}

export interface ReconcileScope {
  /** The subjects the check looked at ('declaration:<id>', 'export:<id>', ...). */
  subjects: string[];
  /** The codes it owns for them: a flag of these codes and subjects that is not desired stops holding. */
  codes: readonly RuleCode[];
}

/** The statement of reconcileFlags, prepared: every check runs it twice. */
const RECONCILE = preparedStatement('hg_flags_reconcile', `WITH desired AS (
     SELECT * FROM jsonb_to_recordset($1::jsonb)
       AS d(code text, subject text, severity text, score numeric, summary text, countries text[], "declarationIds" uuid[], evidence jsonb)
   ),
   before AS (
     SELECT f.code, f.subject, f.holds, f.status FROM flags f JOIN desired d ON d.code = f.code AND d.subject = f.subject
   ),
   upserted AS (
     INSERT INTO flags AS f (code, subject, severity, score, summary, countries, declaration_ids, evidence)
     SELECT code, subject, severity, score, summary, countries, "declarationIds", evidence FROM desired ORDER BY code, subject
     ON CONFLICT (code, subject) DO UPDATE
        SET severity = EXCLUDED.severity, score = EXCLUDED.score, summary = EXCLUDED.summary, countries = EXCLUDED.countries,
            declaration_ids = EXCLUDED.declaration_ids, evidence = EXCLUDED.evidence, holds = true,
            status = CASE WHEN NOT f.holds AND f.status = 'dismissed' THEN 'open' ELSE f.status END,
            version = f.version + CASE WHEN NOT f.holds THEN 1 ELSE 0 END,
            updated_at = now()
      WHERE (f.severity, f.score, f.summary, f.countries, f.declaration_ids, f.evidence, f.holds)
            IS DISTINCT FROM (EXCLUDED.severity, EXCLUDED.score, EXCLUDED.summary, EXCLUDED.countries, EXCLUDED.declaration_ids, EXCLUDED.evidence, true)
     RETURNING f.id, f.code, f.subject, (xmax = 0) AS inserted, f.status, f.summary
   ),
   closed AS (
     UPDATE flags f SET holds = false, version = f.version + 1, updated_at = now(),
            status = CASE WHEN f.status = 'open' THEN 'dismissed' ELSE f.status END
      WHERE f.subject = ANY ($2) AND f.code = ANY ($3) AND f.holds
        AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.code = f.code AND d.subject = f.subject)
     RETURNING f.id, f.status
   ),
   history AS (
     INSERT INTO flag_history (flag_id, action, from_status, to_status, reason, actor)
     SELECT u.id, 'raised', NULL, 'open', u.summary, $4 FROM upserted u WHERE u.inserted
     UNION ALL
     SELECT u.id, 'holds_again', b.status, u.status, u.summary, $4 FROM upserted u JOIN before b ON b.code = u.code AND b.subject = u.subject
      WHERE NOT u.inserted AND NOT b.holds
     UNION ALL
     SELECT c.id, 'no_longer_holds', NULL, c.status, $5, $4 FROM closed c
   )
   SELECT (SELECT count(*) FROM upserted WHERE inserted)::int AS raised, (SELECT count(*) FROM closed)::int AS closed`);

const NO_LONGER_HOLDS = 'the rule no longer holds for the declaration as it now stands';

/**
 * Makes the flags of `scope` exactly `desired`, in one statement whatever their number: new flags are
 * raised, changed ones updated (a flag that had stopped holding holds again, and a dismissed one
 * reopens), unchanged ones left alone (no version bump, no history), and flags no longer desired
 * stop holding, with a line of history for each change. Running it twice changes nothing.
 *
 * Callers serialise reconciles of the same subjects (a row lock on the declaration or an advisory
 * lock on the export); rows are written in (code, subject) order so that bulk reconciles of
 * overlapping sets cannot deadlock each other.
 */
export async function reconcileFlags(manager: EntityManager, scope: ReconcileScope, desired: DesiredFlag[], actor: string): Promise<{ raised: number; closed: number }> {
  const unique = new Map<string, DesiredFlag>();
  for (const flag of desired) if (!unique.has(`${flag.code}|${flag.subject}`)) unique.set(`${flag.code}|${flag.subject}`, flag);
  const [result] = await queryPrepared<{ raised: number; closed: number }[]>(
    manager,
    RECONCILE,
    [JSON.stringify([...unique.values()]), scope.subjects, [...scope.codes], actor, NO_LONGER_HOLDS],
  );
  return { raised: result.raised, closed: result.closed };
}
