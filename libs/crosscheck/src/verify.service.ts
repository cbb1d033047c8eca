import { Injectable } from '@nestjs/common';
import { ensureCanActIn } from '@hgtrace/auth';
import type { Actor } from '@hgtrace/common';
import { type ComplianceFacts, consentUsed, evaluateCompliance, type Finding, licenceUsedFor } from './compliance/index.js';
import { ComplianceFactsService, type DeclarationContent } from './compliance-facts.service.js';
import { VerifyRegistry } from './verify-registry.js';
import { type Lane, laneOf } from '@hgtrace/common';

export interface Verdict {
  lane: Lane;
  findings: Finding[];
  /** The licence the declaration would be counted against, as the registries know it on its date. */
  licence?: { id: string; number: string; status: string; validFrom: string; validTo: string; maxQuantityKg: number | null; usedByOthersKg: number };
  /** The consent it would draw from. */
  consent?: { id: string; reference: string; type: string; status: string; validFrom: string; validTo: string; quantityKg: number | null; remainingKg: number | null };
}

/** The customs officer's instant verdict: the compliance rules on a declaration that is not stored. */
@Injectable()
export class VerifyService {
  constructor(
    private readonly facts: ComplianceFactsService,
    private readonly registry: VerifyRegistry,
  ) {}

  async verify(actor: Actor, content: DeclarationContent): Promise<Verdict> {
    ensureCanActIn(actor, content.country, 'verify declarations');
    // From the registries held in memory while they are unchanged (one small statement), or else read whole.
    const facts = (await this.registry.factsOf(content)) ?? (await this.facts.gather(content));
    return verdictOf(facts);
  }
}

export function verdictOf(facts: ComplianceFacts): Verdict {
  const findings = evaluateCompliance(facts);
  const verdict: Verdict = { lane: laneOf(findings), findings };
  const licence = facts.declaration.items.map((item) => licenceUsedFor(facts, item)).find(Boolean);
  if (licence) {
    verdict.licence = {
      id: licence.id,
      number: licence.number,
      status: licence.statusOnDate,
      validFrom: licence.validFrom,
      validTo: licence.validTo,
      maxQuantityKg: licence.maxQuantityKg,
      usedByOthersKg: licence.usedByOthersKg,
    };
  }
  const consent = consentUsed(facts);
  if (consent) {
    verdict.consent = {
      id: consent.id,
      reference: consent.reference,
      type: consent.type,
      status: consent.status,
      validFrom: consent.validFrom,
      validTo: consent.validTo,
      quantityKg: consent.quantityKg,
      remainingKg: consent.quantityKg === null ? null : Math.round((consent.quantityKg - consent.usedByOthersKg) * 1000) / 1000,
    };
  }
  return verdict;
}
