import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customs declarations with their items and every version, idempotent on (country, number), and
 * the quantities they take from licences (consent drawdowns are in the Registry migration).
 */
export class Declarations1763942400000 implements MigrationInterface {
  name = 'Declarations1763942400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      -- Transport documents and container numbers compared as customs systems write them differently:
      -- upper case, no spaces, dashes, dots or slashes.
      CREATE FUNCTION hg_shipping_key(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT nullif(upper(regexp_replace($1, '[\\s./-]+', '', 'g')), '') $$;

      CREATE TABLE declarations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        country char(2) NOT NULL REFERENCES countries (code),
        number text NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
        flow text NOT NULL CHECK (flow IN ('export', 'import')),
        version integer NOT NULL DEFAULT 1 CHECK (version > 0),
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'amended', 'cancelled')),
        date date NOT NULL,
        trader_national_id text NOT NULL,
        trader_name text NOT NULL,
        trader_id uuid REFERENCES traders (id),
        counterparty_name text NOT NULL,
        counterparty_country char(2) NOT NULL REFERENCES countries (code),
        counterparty_address text,
        partner_country char(2) NOT NULL REFERENCES countries (code),
        origin_country char(2) NOT NULL REFERENCES countries (code),
        transport_document text,
        transport_document_key text GENERATED ALWAYS AS (hg_shipping_key(transport_document)) STORED,
        containers text[] NOT NULL DEFAULT '{}',
        licence_number text,
        consent_reference text,
        licence_id uuid REFERENCES licences (id),
        consent_id uuid REFERENCES consents (id),
        transport_mode text CHECK (transport_mode IN ('sea', 'air', 'road', 'rail', 'post', 'other')),
        total_net_mass_kg numeric(18, 3) NOT NULL,
        total_value_usd numeric(18, 2) NOT NULL,
        content_hash text NOT NULL,
        source text NOT NULL CHECK (source IN ('api', 'batch', 'csv', 'system')),
        check_status text NOT NULL DEFAULT 'pending' CHECK (check_status IN ('pending', 'checked')),
        checked_version integer,
        cancel_reason text,
        cancelled_at timestamptz,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT declarations_country_number_key UNIQUE (country, number)
      );
      CREATE INDEX declarations_country_date_idx ON declarations (country, date DESC, id);
      CREATE INDEX declarations_pair_idx ON declarations (partner_country, country, flow, date);
      CREATE INDEX declarations_transport_document_idx ON declarations (transport_document_key) WHERE transport_document_key IS NOT NULL;
      CREATE INDEX declarations_trader_idx ON declarations (trader_id) WHERE trader_id IS NOT NULL;
      CREATE INDEX declarations_licence_idx ON declarations (licence_id) WHERE licence_id IS NOT NULL;

      CREATE TABLE declaration_containers (
        declaration_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        container_key text NOT NULL,
        PRIMARY KEY (declaration_id, container_key)
      );
      CREATE INDEX declaration_containers_key_idx ON declaration_containers (container_key);

      CREATE TABLE declaration_items (
        declaration_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        line integer NOT NULL CHECK (line > 0),
        hs_code text NOT NULL CHECK (hs_code ~ '^[0-9]{6,10}$'),
        net_mass_kg numeric(18, 3) NOT NULL CHECK (net_mass_kg > 0),
        value_usd numeric(18, 2) NOT NULL CHECK (value_usd >= 0),
        description text,
        PRIMARY KEY (declaration_id, line)
      );
      CREATE INDEX declaration_items_hs_idx ON declaration_items (hs_code);

      -- Every version as it was filed, for the record and for amendments' before/after.
      CREATE TABLE declaration_versions (
        declaration_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        version integer NOT NULL,
        status text NOT NULL,
        body jsonb NOT NULL,
        content_hash text NOT NULL,
        reason text,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (declaration_id, version)
      );

      -- What each declaration counts against a licence's ceiling.
      CREATE TABLE licence_usages (
        licence_id uuid NOT NULL REFERENCES licences (id),
        declaration_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        quantity_kg numeric(18, 3) NOT NULL CHECK (quantity_kg >= 0),
        PRIMARY KEY (licence_id, declaration_id)
      );
      CREATE INDEX licence_usages_declaration_idx ON licence_usages (declaration_id);
      CREATE INDEX consent_drawdowns_declaration_idx ON consent_drawdowns (declaration_id);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX consent_drawdowns_declaration_idx;
      DROP TABLE licence_usages;
      DROP TABLE declaration_versions;
      DROP TABLE declaration_items;
      DROP TABLE declaration_containers;
      DROP TABLE declarations;
      DROP FUNCTION hg_shipping_key(text);
    `);
  }
}
