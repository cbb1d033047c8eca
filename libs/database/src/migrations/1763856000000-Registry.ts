import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reference data (countries, HS codes), traders with fuzzy name search, licences with their status
 * history, and consents (PIC notices) with atomic quantity drawdown.
 */
export class Registry1763856000000 implements MigrationInterface {
  name = 'Registry1763856000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE EXTENSION IF NOT EXISTS unaccent;

      CREATE TABLE countries (
        code char(2) PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
        name text NOT NULL,
        minamata_party_since date,
        source text
      );

      CREATE TABLE hs_codes (
        code text PRIMARY KEY CHECK (code ~ '^[0-9]{4,10}$'),
        description text NOT NULL,
        mercury_class text NOT NULL CHECK (mercury_class IN ('mercury', 'compound', 'product', 'cover', 'other'))
      );

      -- unaccent() is only STABLE (it reads a dictionary); this wrapper pins the dictionary so that
      -- normalised names can be indexed.
      CREATE FUNCTION hg_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

      -- A trader name reduced to what identifies it: no accents, case, punctuation or legal-form
      -- suffixes ("Minera Andina S.A." and "MINERA ANDINA SA" both become "minera andina").
      CREATE FUNCTION hg_normalize_name(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT btrim(regexp_replace(regexp_replace(regexp_replace(
          lower(hg_unaccent(coalesce($1, ''))),
          '[^a-z0-9]+', ' ', 'g'),
          '(^| )(s a de c v|sa de cv|s de r l de c v|s de rl de cv|s r l|srl|s a c|sac|s a s|sas|s a|sa|s l|sl|ltda|ltd|limited|llc|l l c|inc|incorporated|corp|corporation|co|company|cia|gmbh|ag|b v|bv|n v|nv|plc|s p a|spa|e i r l|eirl|pty|pte|sdn bhd|bhd|pvt)(?= |$)', ' ', 'g'),
          ' +', ' ', 'g'))
      $$;

      CREATE TABLE traders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        country char(2) NOT NULL REFERENCES countries (code),
        national_id text NOT NULL CHECK (length(national_id) BETWEEN 1 AND 64),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        address text,
        aliases text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT traders_country_national_id_key UNIQUE (country, national_id)
      );

      -- Every name a trader goes by (its name and aliases), normalised, under a trigram index.
      CREATE TABLE trader_names (
        trader_id uuid NOT NULL REFERENCES traders (id) ON DELETE CASCADE,
        name text NOT NULL,
        normalized text NOT NULL,
        PRIMARY KEY (trader_id, name)
      );
      CREATE INDEX trader_names_trgm_idx ON trader_names USING gin (normalized gin_trgm_ops);

      CREATE TABLE licences (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        country char(2) NOT NULL REFERENCES countries (code),
        trader_id uuid NOT NULL REFERENCES traders (id),
        number text NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
        type text NOT NULL CHECK (type IN ('export', 'import')),
        hs_codes text[] NOT NULL CHECK (cardinality(hs_codes) > 0),
        max_quantity_kg numeric(18, 3) CHECK (max_quantity_kg > 0),
        used_quantity_kg numeric(18, 3) NOT NULL DEFAULT 0 CHECK (used_quantity_kg >= 0),
        valid_from date NOT NULL,
        valid_to date NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT licences_validity CHECK (valid_to >= valid_from),
        CONSTRAINT licences_country_number_key UNIQUE (country, number)
      );
      CREATE INDEX licences_trader_idx ON licences (trader_id);

      CREATE TABLE licence_status_changes (
        id bigserial PRIMARY KEY,
        licence_id uuid NOT NULL REFERENCES licences (id),
        from_status text NOT NULL,
        to_status text NOT NULL,
        reason text NOT NULL CHECK (length(reason) > 0),
        actor_id uuid,
        actor text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX licence_status_changes_licence_idx ON licence_status_changes (licence_id, id);

      CREATE TABLE consents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
        type text NOT NULL CHECK (type IN ('written_consent', 'general_notification', 'export_notification')),
        -- The country whose focal point issued it: the importing country, or the exporting one for an export notification.
        issuing_country char(2) NOT NULL REFERENCES countries (code),
        exporting_country char(2) NOT NULL REFERENCES countries (code),
        importing_country char(2) NOT NULL REFERENCES countries (code),
        exporter_id uuid REFERENCES traders (id),
        importer_id uuid REFERENCES traders (id),
        hs_codes text[] NOT NULL CHECK (cardinality(hs_codes) > 0),
        quantity_kg numeric(18, 3) CHECK (quantity_kg > 0),
        used_quantity_kg numeric(18, 3) NOT NULL DEFAULT 0 CHECK (used_quantity_kg >= 0),
        purpose text NOT NULL CHECK (purpose IN ('allowed_use', 'interim_storage')),
        valid_from date NOT NULL,
        valid_to date NOT NULL,
        non_party_certification boolean NOT NULL DEFAULT false,
        conditions text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
        withdrawn_reason text,
        withdrawn_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT consents_validity CHECK (valid_to >= valid_from),
        CONSTRAINT consents_distinct_countries CHECK (exporting_country <> importing_country),
        -- The last line of defence of the drawdown: used never passes the consented quantity.
        CONSTRAINT consents_within_quantity CHECK (quantity_kg IS NULL OR used_quantity_kg <= quantity_kg),
        CONSTRAINT consents_issuer_reference_key UNIQUE (issuing_country, reference)
      );
      CREATE INDEX consents_pair_idx ON consents (exporting_country, importing_country, valid_from);
      CREATE INDEX consents_reference_idx ON consents (reference);

      -- What each declaration took from a consent: one row per (consent, declaration), so drawing
      -- again for the same declaration replaces its share instead of adding to it.
      CREATE TABLE consent_drawdowns (
        consent_id uuid NOT NULL REFERENCES consents (id),
        declaration_id uuid NOT NULL,
        requested_kg numeric(18, 3) NOT NULL CHECK (requested_kg >= 0),
        drawn_kg numeric(18, 3) NOT NULL CHECK (drawn_kg >= 0 AND drawn_kg <= requested_kg),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consent_id, declaration_id)
      );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE consent_drawdowns;
      DROP TABLE consents;
      DROP TABLE licence_status_changes;
      DROP TABLE licences;
      DROP TABLE trader_names;
      DROP TABLE traders;
      DROP FUNCTION hg_normalize_name(text);
      DROP FUNCTION hg_unaccent(text);
      DROP TABLE hs_codes;
      DROP TABLE countries;
    `);
  }
}
