import type { ComplianceOptions } from './compliance.rules.js';
import { capitalise, covers, describeProblems, hsList, traderRole } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';
import { citedLicenceOf, licenceCandidates, licensedItems } from './licence-selection.js';

/**
 * LICENCE_MISSING: the declaring trader is not registered, cites a licence that does not exist or
 * is not theirs for these goods, or holds no licence of the flow's type covering an item.
 */
export function licenceMissingRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const { declaration } = facts;
  const items = licensedItems(declaration);
  if (items.length === 0) return [];
  const role = traderRole(declaration.flow);
  const trader = declaration.trader;
  const findings: Finding[] = [];

  if (!facts.traderRegistered) {
    findings.push({
      code: 'LICENCE_MISSING',
      severity: 'high',
      message: `${capitalise(role)} ${trader.nationalId} (${trader.name}) is not registered in ${declaration.country}`,
      evidence: { reason: 'trader_not_registered', country: declaration.country, traderNationalId: trader.nationalId },
    });
  }

  const cited = citedLicenceOf(facts);
  if (cited === null) {
    findings.push({
      code: 'LICENCE_MISSING',
      severity: 'high',
      message: `Cited licence ${declaration.licenceNumber} does not exist in ${declaration.country}`,
      evidence: { reason: 'cited_licence_unknown', licenceNumber: declaration.licenceNumber, country: declaration.country },
    });
  } else if (cited !== undefined) {
    const problems: string[] = [];
    if (cited.traderNationalId !== trader.nationalId) {
      problems.push(`is held by ${cited.traderNationalId}, not by the declaring ${role} ${trader.nationalId}`);
    }
    if (cited.type !== declaration.flow) {
      problems.push(`is an ${cited.type} licence, not an ${declaration.flow} licence`);
    }
    const uncovered = items.filter((item) => !covers(cited.hsCodes, item.hsCode));
    if (uncovered.length > 0) problems.push(`does not cover HS ${hsList(uncovered)}`);
    if (problems.length > 0) {
      findings.push({
        code: 'LICENCE_MISSING',
        severity: 'high',
        message: describeProblems(`Licence ${cited.number}`, problems),
        evidence: {
          reason: 'cited_licence_mismatch',
          licenceNumber: cited.number,
          holderNationalId: cited.traderNationalId,
          licenceType: cited.type,
          licenceHsCodes: cited.hsCodes,
          uncoveredHsCodes: uncovered.map((item) => item.hsCode),
        },
      });
    }
  }

  const unlicensed = items.filter((item) => licenceCandidates(facts, item).length === 0);
  if (unlicensed.length > 0) {
    findings.push({
      code: 'LICENCE_MISSING',
      severity: 'high',
      message: `${capitalise(role)} ${trader.nationalId} holds no ${declaration.flow} licence covering HS ${hsList(unlicensed)}`,
      evidence: {
        reason: 'no_licence',
        traderNationalId: trader.nationalId,
        licenceType: declaration.flow,
        hsCodes: [...new Set(unlicensed.map((item) => item.hsCode))],
      },
    });
  }
  return findings;
}
