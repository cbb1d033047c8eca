import type { ComplianceOptions } from './compliance.rules.js';
import { formatGrams, gramsToKg, toGrams } from './compliance.helpers.js';
import type { ComplianceFacts, Finding, LicenceFacts } from './compliance.types.js';
import { licenceUsedFor, licensedItems } from './licence-selection.js';

/**
 * LICENCE_QUANTITY_EXCEEDED: with this declaration, the kg declared under a licence with a ceiling
 * (by other declarations in its validity period, plus the items of this one it is used for) go
 * past the ceiling. Reaching it exactly is allowed.
 */
export function licenceQuantityExceededRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const declaredUnder = new Map<string, { licence: LicenceFacts; grams: number }>();
  for (const item of licensedItems(facts.declaration)) {
    const licence = licenceUsedFor(facts, item);
    if (!licence || licence.maxQuantityKg === null) continue;
    const entry = declaredUnder.get(licence.id) ?? { licence, grams: 0 };
    entry.grams += toGrams(item.netMassKg);
    declaredUnder.set(licence.id, entry);
  }

  const findings: Finding[] = [];
  for (const { licence, grams } of declaredUnder.values()) {
    const maxGrams = toGrams(licence.maxQuantityKg ?? 0);
    const totalGrams = toGrams(licence.usedByOthersKg) + grams;
    if (totalGrams <= maxGrams) continue;
    const excessGrams = totalGrams - maxGrams;
    findings.push({
      code: 'LICENCE_QUANTITY_EXCEEDED',
      severity: 'high',
      message:
        `Licence ${licence.number} allows ${formatGrams(maxGrams)}; with this declaration ` +
        `${formatGrams(totalGrams)} are declared under it, ${formatGrams(excessGrams)} over`,
      evidence: {
        licenceNumber: licence.number,
        maxQuantityKg: gramsToKg(maxGrams),
        usedByOthersKg: gramsToKg(toGrams(licence.usedByOthersKg)),
        declarationKg: gramsToKg(grams),
        totalKg: gramsToKg(totalGrams),
        excessKg: gramsToKg(excessGrams),
      },
    });
  }
  return findings;
}
