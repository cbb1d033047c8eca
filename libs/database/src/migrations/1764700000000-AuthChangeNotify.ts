import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to who may call the api (a user created, changed or deleted, a token issued or
 * revoked, either table truncated) is announced on the channel `hg_auth_changed` when its
 * transaction commits. The api keeps the users behind tokens in memory and forgets them all on that
 * notice, so that a revocation takes effect at once whichever process, replica or SQL session made
 * it. Recording a token's use (`last_used_at`, once a minute) changes nothing of that and is quiet.
 */
export class AuthChangeNotify1764700000000 implements MigrationInterface {
  name = 'AuthChangeNotify1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION hg_notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('hg_auth_changed', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER users_auth_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION hg_notify_auth_changed();
      CREATE TRIGGER api_tokens_auth_changed AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, user_id, token_hash, revoked_at ON api_tokens
        FOR EACH STATEMENT EXECUTE FUNCTION hg_notify_auth_changed();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER api_tokens_auth_changed ON api_tokens;
      DROP TRIGGER users_auth_changed ON users;
      DROP FUNCTION hg_notify_auth_changed();
    `);
  }
}
