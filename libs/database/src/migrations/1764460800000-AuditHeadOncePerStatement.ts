import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain's head, locked once per transaction and written once per statement. Updating the
 * head row for every event left one dead row version per event that the next event's lookup walked
 * through, so a transaction of n events cost n²: a batch of 1,000 declarations spent most of its time
 * there, holding the lock every filing waits for. The running hash now lives in transaction-local
 * settings between the per-row trigger and a per-statement one that writes the head; the chain, the
 * lock and what GET /audit/verify checks are unchanged.
 */
export class AuditHeadOncePerStatement1764460800000 implements MigrationInterface {
  name = 'AuditHeadOncePerStatement1764460800000';

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

      CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
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

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER audit_head_advance ON audit_events;
      DROP FUNCTION audit_head_advance();
      CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        head audit_head%ROWTYPE;
      BEGIN
        SELECT * INTO head FROM audit_head WHERE singleton FOR UPDATE;
        NEW.id := nextval('audit_events_id_seq');
        NEW.occurred_at := clock_timestamp();
        NEW.prev_hash := head.last_hash;
        NEW.hash := audit_event_digest(NEW);
        UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash, events = events + 1 WHERE singleton;
        RETURN NEW;
      END
      $$;
    `);
  }
}
