import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Declarations without a transport document, by route and date. Two declarations that both carry
 * documents and share none are different shipments, so the attribute matching of a documented
 * declaration only ever looks at undocumented counterparts: a few among many, found through these.
 */
export class UndocumentedIndexes1764374400000 implements MigrationInterface {
  name = 'UndocumentedIndexes1764374400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX declarations_undocumented_pair_idx ON declarations (partner_country, country, flow, date) WHERE transport_document_key IS NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX declarations_undocumented_pair_idx`);
  }
}
