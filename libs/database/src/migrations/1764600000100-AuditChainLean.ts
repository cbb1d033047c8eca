import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain's per-event trigger keeps only the running hash in a transaction-local setting;
 * the per-statement trigger takes the last id and the number of events from the statement's own
 * rows (a transition table) instead of two more settings written for every event. Every filing
 * waits for the chain's lock while the holder writes its events, so what each event costs under
 * the lock is what concurrent filings queue for. The chain, the lock, the head and what
 * GET /audit/verify checks are unchanged.
 */
export class AuditChainLean1764600000100 implements MigrationInterface {
  name = 'AuditChainLean1764600000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        head audit_head%ROWTYPE;
      BEGIN
        IF current_setting('hgtrace.audit_tx', true) IS DISTINCT FROM txid_current()::text THEN
          -- First event of this transaction: take the head (and its lock, held to the commit).
          SELECT * INTO head FROM audit_head WHERE singleton FOR UPDATE;
          PERFORM set_config('hgtrace.audit_tx', txid_current()::text, true);
          PERFORM set_config('hgtrace.audit_hash', head.last_hash, true);
        END IF;
        NEW.id := nextval('audit_events_id_seq');
        NEW.occurred_at := clock_timestamp();
        NEW.prev_hash := current_setting('hgtrace.audit_hash');
        NEW.hash := audit_event_digest(NEW);
        PERFORM set_config('hgtrace.audit_hash', NEW.hash, true);
        RETURN NEW;
      END
      $$;

      -- The events of one statement got ids in chain order under the lock: the last is the largest.
      CREATE OR REPLACE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE audit_head h SET last_id = a.last_id, last_hash = current_setting('hgtrace.audit_hash'), events = h.events + a.n
          FROM (SELECT max(id) AS last_id, count(*) AS n FROM added) a
         WHERE h.singleton AND a.n > 0;
        RETURN NULL;
      END
      $$;
      DROP TRIGGER audit_head_advance ON audit_events;
      CREATE TRIGGER audit_head_advance AFTER INSERT ON audit_events REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_head_advance();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER audit_head_advance ON audit_events;
      CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        head audit_head%ROWTYPE;
      BEGIN
        IF current_setting('hgtrace.audit_tx', true) IS DISTINCT FROM txid_current()::text THEN
          SELECT * INTO head FROM audit_head WHERE singleton FOR UPDATE;
          PERFORM set_config('hgtrace.audit_tx', txid_current()::text, true);
          PERFORM set_config('hgtrace.audit_hash', head.last_hash, true);
          PERFORM set_config('hgtrace.audit_events', head.events::text, true);
        END IF;
        NEW.id := nextval('audit_events_id_seq');
        NEW.occurred_at := clock_timestamp();
        NEW.prev_hash := current_setting('hgtrace.audit_hash');
        NEW.hash := audit_event_digest(NEW);
        PERFORM set_config('hgtrace.audit_hash', NEW.hash, true);
        PERFORM set_config('hgtrace.audit_id', NEW.id::text, true);
        PERFORM set_config('hgtrace.audit_events', (current_setting('hgtrace.audit_events')::bigint + 1)::text, true);
        RETURN NEW;
      END
      $$;
      CREATE OR REPLACE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('hgtrace.audit_tx', true) = txid_current()::text THEN
          UPDATE audit_head SET last_id = current_setting('hgtrace.audit_id')::bigint, last_hash = current_setting('hgtrace.audit_hash'),
                                events = current_setting('hgtrace.audit_events')::bigint
           WHERE singleton AND last_hash IS DISTINCT FROM current_setting('hgtrace.audit_hash');
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER audit_head_advance AFTER INSERT ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_head_advance();
    `);
  }
}
