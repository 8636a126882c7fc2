import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fixedClock, type Clock } from '../../shared/clock.ts'
import { asEnvironmentId, type EnvironmentId } from '../../shared/ids.ts'
import { cryptoRandom } from '../../shared/random.ts'
import { Secret } from '../../shared/secret.ts'
import { createEnvironmentDatabases, type EnvironmentDatabases } from '../../storage/index.ts'
import { migrateEnvironmentDatabase } from '../migrate-environment-database.ts'
import type { ProvisionedIds } from '../provision-environment.ts'
import { createRecordsService, type RecordsService } from '../records-service.ts'

/** A provisioned environment in a real encrypted database under a temp dir, for tests. */
export interface RecordsFixture {
  readonly dir: string
  readonly env: EnvironmentId
  readonly databases: EnvironmentDatabases
  readonly clock: Clock & { advance(ms: number): void }
  readonly service: RecordsService
  readonly ids: ProvisionedIds
  /** Another EnvironmentDatabases over the same files (a second process, in effect). */
  openDatabases(): EnvironmentDatabases
  close(): Promise<void>
}

/** Builds a RecordsFixture: AEGIS cipher, capacity 4, migrate as onOpen, then provision. */
export async function createRecordsFixture(
  options: { provision?: boolean } = {},
): Promise<RecordsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-records-'))
  const key = new Uint8Array(randomBytes(32))
  const fieldKey = new Uint8Array(randomBytes(32))
  const opened: EnvironmentDatabases[] = []
  const openDatabases = (): EnvironmentDatabases => {
    const databases = createEnvironmentDatabases({
      dir,
      capacity: 4,
      cipher: 'aegis',
      pageCacheKiB: 1024,
      synchronous: 'normal',
      busyTimeoutMs: 5000,
      // The Secret is zeroed after each open, so each open gets its own copy.
      resolveKey: () => Promise.resolve(new Secret(key.slice())),
      resolveFieldKey: () => Promise.resolve(new Secret(fieldKey.slice())),
      onOpen: migrateEnvironmentDatabase,
    })
    opened.push(databases)
    return databases
  }
  const databases = openDatabases()
  const env = asEnvironmentId(randomUUID())
  await databases.create(env, new Secret(key.slice()))
  const clock = fixedClock(new Date('2025-03-04T05:06:07.890Z'))
  const service = createRecordsService({ databases, clock, random: cryptoRandom })
  const ids =
    options.provision === false
      ? ({} as ProvisionedIds)
      : await service.provisionEnvironment(env, 'Contoso')
  return {
    dir,
    env,
    databases,
    clock,
    service,
    ids,
    openDatabases,
    async close() {
      for (const d of opened) await d.closeAll()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
