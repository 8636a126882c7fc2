import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3-multiple-ciphers'
import { BYOK_SCHEMA_VERSION, migrateByok } from './byok-schema.ts'

// What version 1 wrote (certificate and not_after required; no exchange keys).
const V1 = `
CREATE TABLE byok_keys (key_id TEXT PRIMARY KEY NOT NULL, label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('rsa-2048', 'rsa-3072', 'rsa-4096')),
  current_version INTEGER NOT NULL CHECK (current_version >= 1), created_at TEXT NOT NULL) STRICT;
CREATE TABLE byok_versions (key_id TEXT NOT NULL REFERENCES byok_keys (key_id),
  version INTEGER NOT NULL CHECK (version >= 1),
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'destroyed')),
  material BLOB, certificate BLOB NOT NULL, not_after TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, version), CHECK ((status = 'destroyed') = (material IS NULL))) STRICT;
`

describe('uploaded-key store schema', () => {
  it('upgrades version 1 to 2, keeping every version row', () => {
    const db = new Database(':memory:')
    db.exec(V1)
    db.pragma('application_id = 1397902146') // 'SRKB'
    db.pragma('user_version = 1')
    db.prepare(
      "INSERT INTO byok_keys VALUES ('k', 'l', 'rsa-2048', 1, '2030-01-01T00:00:00.000Z')",
    ).run()
    db.prepare(
      "INSERT INTO byok_versions VALUES ('k', 1, 'enabled', x'01', x'02', '2031-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z')",
    ).run()
    migrateByok(db)
    assert.equal(db.pragma('user_version', { simple: true }), BYOK_SCHEMA_VERSION)
    assert.deepEqual(db.prepare('SELECT key_id, version, not_after FROM byok_versions').all(), [
      { key_id: 'k', version: 1, not_after: '2031-01-01T00:00:00.000Z' },
    ])
    // A wrapped import has no certificate; certificate and not_after go together.
    db.prepare(
      "INSERT INTO byok_versions VALUES ('k', 2, 'enabled', x'01', NULL, NULL, '2030-01-02T00:00:00.000Z')",
    ).run()
    assert.throws(() =>
      db
        .prepare(
          "INSERT INTO byok_versions VALUES ('k', 3, 'enabled', x'01', x'02', NULL, '2030-01-02T00:00:00.000Z')",
        )
        .run(),
    )
    assert.deepEqual(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'byok_exchange_keys'").all(),
      [{ name: 'byok_exchange_keys' }],
    )
    migrateByok(db) // current: nothing to do
    db.close()
  })
})
