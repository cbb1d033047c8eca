import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform: users and API tokens, the hash-chained audit log, the transactional outbox and the
 * job inbox that makes background jobs apply at most once.
 */
export class Platform1763769600000 implements MigrationInterface {
  name = 'Platform1763769600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'focal_point', 'customs_officer', 'analyst', 'system')),
        countries text[] NOT NULL CHECK (cardinality(countries) > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT users_all_countries_role CHECK (NOT ('*' = ANY (countries)) OR role IN ('admin', 'analyst'))
      );
      CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;

      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
      CREATE UNIQUE INDEX api_tokens_user_name_key ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
    `);

    // The audit log. Every row carries the hash of the row before it, so a row changed or removed
    // behind the application's back breaks the chain. The chain is kept by the database itself (a
    // trigger holding a row lock on audit_head), so no code path can insert an unchained row, and
    // concurrent writers are serialised at the moment of insert, in commit order.
    await db.query(`
      CREATE SEQUENCE audit_events_id_seq;
      CREATE TABLE audit_events (
        id bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor text NOT NULL,
        action text NOT NULL,
        entity text NOT NULL,
        entity_id text NOT NULL,
        countries text[] NOT NULL DEFAULT '{}',
        before jsonb,
        after jsonb,
        request_id text,
        ip text,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
      CREATE INDEX audit_events_entity_idx ON audit_events (entity, entity_id, id);
      CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
      CREATE INDEX audit_events_countries_idx ON audit_events USING gin (countries);

      CREATE TABLE audit_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_id bigint NOT NULL,
        last_hash text NOT NULL,
        events bigint NOT NULL
      );
      INSERT INTO audit_head VALUES (true, 0, repeat('0', 64), 0);

      CREATE FUNCTION audit_event_digest(e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT encode(sha256(convert_to(concat_ws(E'\\x1f',
          e.prev_hash, e.id::text,
          to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          coalesce(e.actor_id::text, ''), e.actor, e.action, e.entity, e.entity_id, array_to_string(e.countries, ','),
          coalesce(e.before::text, ''), coalesce(e.after::text, ''),
          coalesce(e.request_id, ''), coalesce(e.ip, '')), 'UTF8')), 'hex')
      $$;

      CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
      CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END
      $$;
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
    `);

    // The transactional outbox: a write and the job that must follow it are committed together; the
    // worker's relay moves rows into BullMQ. Postgres stays the system of record when Redis is down.
    await db.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        job_name text NOT NULL,
        job_id text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      );
      CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;
      CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('hgtrace_outbox', '');
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

      -- Jobs whose effects have been committed; a job delivered again finds itself here and does nothing.
      CREATE TABLE job_inbox (
        job_id text PRIMARY KEY,
        job_name text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE job_inbox;
      DROP TRIGGER outbox_notify ON outbox;
      DROP FUNCTION outbox_notify();
      DROP TABLE outbox;
      DROP TRIGGER audit_events_chain ON audit_events;
      DROP FUNCTION audit_events_chain();
      DROP FUNCTION audit_event_digest(audit_events);
      DROP TABLE audit_events;
      DROP FUNCTION audit_events_append_only();
      DROP TABLE audit_head;
      DROP TABLE api_tokens;
      DROP TABLE users;
    `);
  }
}
