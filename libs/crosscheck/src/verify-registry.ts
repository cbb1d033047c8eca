import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { preparedStatement, queryPrepared } from '@hgtrace/database';
import type { ComplianceFacts } from './compliance/index.js';
import { ComplianceFactsService, type DeclarationContent, type RegistrySnapshot } from './compliance-facts.service.js';

/**
 * The registries' version, and the used quantities of licences $1 and consents $2, in one statement:
 * the quantities as they are now, and the version that says whether a snapshot is still the registries.
 */
const USED_NOW = preparedStatement('hg_verify_used_now', `SELECT
     (SELECT version::text FROM registry_version) AS version,
     (SELECT coalesce(json_agg(json_build_array(l.id, l.used_in_validity_kg::text)), '[]') FROM licences l WHERE l.id = ANY ($1::uuid[])) AS licences,
     (SELECT coalesce(json_agg(json_build_array(c.id, c.used_quantity_kg::text)), '[]') FROM consents c WHERE c.id = ANY ($2::uuid[])) AS consents`);

/** At most one reading of the whole registries this often, however often they change. */
const MIN_RELOAD_INTERVAL_MS = 1_000;

/**
 * The registries (traders, licences with their status history, consents) held in the api's memory for
 * verify, with the version they were read at (migration RegistryVersion). A verify then reads in one
 * small statement only the registries' version and the used quantities of the licences and consents
 * its declaration would count against, which every filing changes. While the version is the one held,
 * no change to the registries has committed since they were read, so the verdict is the one the
 * whole facts statement would give, to the kilogram; when it is not, that verify reads the facts
 * statement instead and the registries are read again in the background (at most once a second).
 */
@Injectable()
export class VerifyRegistry {
  private readonly logger = new Logger(VerifyRegistry.name);
  private held: RegistrySnapshot | null = null;
  private loading: Promise<void> | null = null;
  private lastLoadAt = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly facts: ComplianceFactsService,
  ) {}

  /** The facts of `content` from the registries held, or null when they are not held or have changed since. */
  async factsOf(content: DeclarationContent): Promise<ComplianceFacts | null> {
    const snapshot = this.held;
    if (!snapshot) {
      this.reload();
      return null;
    }
    const { licenceIds, consentIds } = this.facts.countedBy(snapshot, content);
    const [row] = await queryPrepared<{ version: string | null; licences: [string, string][]; consents: [string, string][] }[]>(this.dataSource.manager, USED_NOW, [licenceIds, consentIds]);
    if (row.version !== snapshot.version) {
      if (this.held === snapshot) this.held = null;
      this.reload();
      return null;
    }
    const used = { licences: new Map(row.licences.map(([id, kg]) => [id, Number(kg)])), consents: new Map(row.consents.map(([id, kg]) => [id, Number(kg)])) };
    // Every one was read: the version says none was deleted since the snapshot.
    if (used.licences.size !== licenceIds.length || used.consents.size !== consentIds.length) return null;
    const [facts] = this.facts.factsFromSnapshot(snapshot, [{ content, declarationId: '', own: { licences: [], consents: [] } }], used);
    return facts;
  }

  /** Reads the registries again, once at a time and at most once a second. */
  private reload(): void {
    if (this.loading || Date.now() - this.lastLoadAt < MIN_RELOAD_INTERVAL_MS) return;
    this.lastLoadAt = Date.now();
    this.loading = this.facts
      .registrySnapshot()
      .then((snapshot) => {
        this.held = snapshot;
      })
      .catch((error: unknown) => this.logger.warn(`could not read the registries for verify: ${error instanceof Error ? error.message : error}`))
      .finally(() => {
        this.loading = null;
      });
  }
}
