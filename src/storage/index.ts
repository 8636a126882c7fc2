export {
  createEnvironmentDatabases,
  type DynamicDb,
  type EnvDb,
  type EnvironmentDatabases,
  type EnvironmentDatabasesOptions,
  type OpenEnvironment,
  type OpenEnvironmentKeys,
} from './environment-databases.ts'
export {
  isCorruptionError,
  openEncryptedDatabase,
  PAGE_CIPHERS,
  type OpenDatabaseOptions,
  type PageCipher,
} from './sqlite/open-encrypted-database.ts'
export {
  sqliteDialect,
  type SqliteDialect,
  type SqliteDialectOptions,
  type SyncReader,
} from './sqlite/sqlite-dialect.ts'
export { createChangeStamp, type ChangeStamp } from './sqlite/change-stamp.ts'
