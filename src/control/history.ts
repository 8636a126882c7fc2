import type { Transaction, Kysely } from 'kysely'
import type { Actor } from './context.ts'
import type { ControlDb } from './schema.ts'

export interface HistoryEntry {
  readonly tenantId: string
  readonly environmentId?: string | undefined
  readonly at: string
  readonly actor: Actor
  readonly action: string
  /** Ids, names and key versions only: never key material or record values. */
  readonly detail: Readonly<Record<string, string | number | boolean | null>>
}

/**
 * Appends to the tenant's history inside the caller's transaction, so the change and its
 * record commit together. The audit issue moves this into the tamper-evident log.
 */
export async function appendHistory(
  trx: Transaction<ControlDb> | Kysely<ControlDb>,
  entry: HistoryEntry,
): Promise<void> {
  await trx
    .insertInto('history')
    .values({
      tenant_id: entry.tenantId,
      environment_id: entry.environmentId ?? null,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      detail: JSON.stringify(entry.detail),
    })
    .execute()
}

export interface HistoryRow {
  readonly id: number
  readonly at: string
  readonly actor: string
  readonly action: string
  readonly environmentId: string | null
  readonly detail: Record<string, unknown>
}

export async function listHistory(
  db: Kysely<ControlDb>,
  tenantId: string,
  limit = 100,
): Promise<HistoryRow[]> {
  const rows = await db
    .selectFrom('history')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    environmentId: r.environment_id,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }))
}
