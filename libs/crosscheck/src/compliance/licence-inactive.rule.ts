import type { ComplianceOptions } from './compliance.rules.js';
import { licenceUsableOn, withinValidity } from './compliance.helpers.js';
import type { ComplianceFacts, Finding, LicenceFacts } from './compliance.types.js';
import { licenceCandidates, licensedItems } from './licence-selection.js';

type InactiveStatus = 'suspended' | 'revoked' | 'expired' | 'not_yet_valid';

/**
 * LICENCE_INACTIVE: the licence an item would be declared under exists but cannot be used on the
 * declaration date. When the trader cites none and holds several covering licences, one usable
 * licence is enough.
 */
export function licenceInactiveRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const { date } = facts.declaration;
  const reported = new Map<string, LicenceFacts>();
  for (const item of licensedItems(facts.declaration)) {
    const candidates = licenceCandidates(facts, item);
    if (candidates.length === 0 || candidates.some((licence) => licenceUsableOn(licence, date))) continue;
    const licence = closestToUsable(candidates, date);
    if (!reported.has(licence.id)) reported.set(licence.id, licence);
  }
  return [...reported.values()].map((licence) => inactiveFinding(licence, date));
}

/**
 * Of several unusable licences, the one an officer would look at: in its validity period but
 * suspended or revoked, else the one that expired last, else the one that starts soonest.
 */
function closestToUsable(licences: LicenceFacts[], date: string): LicenceFacts {
  const rank = (licence: LicenceFacts): number =>
    withinValidity(licence, date) ? 0 : licence.validTo < date ? 1 : 2;
  return [...licences].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    if (rank(a) === 1) return b.validTo.localeCompare(a.validTo);
    return a.validFrom.localeCompare(b.validFrom);
  })[0];
}

function inactiveStatus(licence: LicenceFacts, date: string): InactiveStatus {
  if (licence.statusOnDate !== 'active') return licence.statusOnDate;
  return date > licence.validTo ? 'expired' : 'not_yet_valid';
}

function inactiveFinding(licence: LicenceFacts, date: string): Finding {
  const status = inactiveStatus(licence, date);
  const subject = `Licence ${licence.number}`;
  let what: string;
  if (status === 'expired') {
    what = `${subject} expired on ${licence.validTo}`;
  } else if (status === 'not_yet_valid') {
    what = `${subject} is valid only from ${licence.validFrom}`;
  } else if (licence.lastChange && licence.lastChange.to === status) {
    const reason = licence.lastChange.reason ? ` (${licence.lastChange.reason})` : '';
    what = `${subject} was ${status} on ${licence.lastChange.at.slice(0, 10)}${reason}`;
  } else {
    what = `${subject} is ${status}`;
  }
  return {
    code: 'LICENCE_INACTIVE',
    severity: 'high',
    message: `${what}; the declaration is dated ${date}`,
    evidence: { licenceNumber: licence.number, status, validFrom: licence.validFrom, validTo: licence.validTo, date },
  };
}
