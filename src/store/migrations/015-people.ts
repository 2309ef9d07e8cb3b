import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * People of an instance, their sign-in links, personal access tokens and web sessions, and the
 * OpenID Connect sign-ins under way (docs/decisions/019-people-and-sign-in.md). Frozen: this
 * file imports nothing from the live code.
 *
 * Every secret is stored as its SHA-256 only (links, tokens, session ids, OIDC flow ids): they
 * are 256 random bits, so a read of these tables gives nothing that works. Passwords are argon2id
 * hashes (the PHC string).
 *
 * The web sessions of migration 006 were made with an instance key; sign-in with a key goes
 * away, so the table is made anew for sessions of people (everyone signs in again).
 *
 * Times are fixed-width ISO-8601 UTC text (docs/decisions/002), compared in SQL: byte order on
 * PostgreSQL too (COLLATE "C"), as SQLite's TEXT already compares.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const sortableText = isPostgres ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('people')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    /** The e-mail lower-cased: one person per address and instance, found whatever its case. */
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_hash', 'text')
    /** `issuer subject` of the person's OpenID Connect account, once they signed in with it. */
    .addColumn('oidc_subject', 'text')
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('updated_on', sortableText, (c) => c.notNull())
    .addColumn('last_sign_in_on', sortableText)
    .addPrimaryKeyConstraint('people_pk', ['instance_id', 'id'])
    .execute();
  await db.schema.createIndex('people_by_email').on('people').columns(['instance_id', 'email_key']).unique().execute();
  await db.schema.createIndex('people_by_oidc_subject').on('people').columns(['instance_id', 'oidc_subject']).unique().execute();
  // Password sign-in that does not name the instance looks the address up in every instance.
  await db.schema.createIndex('people_by_email_everywhere').on('people').column('email_key').execute();

  // Invitation and password-reset links: single use (the row is deleted when used), expiring.
  await db.schema
    .createTable('sign_in_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('expires_on', sortableText, (c) => c.notNull())
    .addForeignKeyConstraint('sign_in_links_person', ['instance_id', 'person_id'], 'people', ['instance_id', 'id'])
    .execute();
  await db.schema.createIndex('sign_in_links_by_person').on('sign_in_links').columns(['instance_id', 'person_id']).execute();

  await db.schema
    .createTable('person_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('expires_on', sortableText)
    .addForeignKeyConstraint('person_tokens_person', ['instance_id', 'person_id'], 'people', ['instance_id', 'id'])
    .execute();
  await db.schema.createIndex('person_tokens_by_id').on('person_tokens').columns(['instance_id', 'id']).unique().execute();
  await db.schema.createIndex('person_tokens_by_person').on('person_tokens').columns(['instance_id', 'person_id']).execute();

  await db.schema.dropTable('sessions').execute();
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    /** A public id for the admins' list of sessions (the cookie's id is never shown). */
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('last_seen_on', sortableText, (c) => c.notNull())
    .addColumn('expires_on', sortableText, (c) => c.notNull())
    .addForeignKeyConstraint('sessions_person', ['instance_id', 'person_id'], 'people', ['instance_id', 'id'])
    .execute();
  await db.schema.createIndex('sessions_by_person').on('sessions').columns(['instance_id', 'person_id']).execute();
  await db.schema.createIndex('sessions_by_id').on('sessions').columns(['instance_id', 'id']).unique().execute();
  await db.schema.createIndex('sessions_by_expiry').on('sessions').column('expires_on').execute();

  // OpenID Connect sign-ins between the redirect to the provider and its answer (minutes).
  await db.schema
    .createTable('oidc_flows')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text', (c) => c.notNull())
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('expires_on', sortableText, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_flows_by_expiry').on('oidc_flows').column('expires_on').execute();
}
