import type { KeyVersionInfo } from '../../keys/key-provider.ts'

/** Warn this long before a key version in use expires. */
export const EXPIRY_WARNING_DAYS = 30
const DAY_MS = 24 * 3600 * 1000

/** What the key-health check last found for a key (tenant_keys.health…). */
export interface KeyHealthRecord {
  readonly state: 'available' | 'unreachable' | 'disabled' | 'missing'
  /** Since when the key has been in this state (as far as the checks saw). */
  readonly since: string
  /** When the check last looked. */
  readonly checkedAt: string
}

/** One warning about a key: a stable code for scripts, and a sentence for people. */
export interface KeyWarning {
  readonly code: 'expiring' | 'expired' | 'unreachable'
  readonly version?: number
  readonly message: string
}

/**
 * Warnings before a key can cause trouble (issue #6: Dataverse gives none before a lock): a
 * version in use (current, or wrapping a live environment's DEK) whose expiry — an uploaded
 * key's certificate `notAfter`, an HSM key's CKA_END_DATE — is past or within
 * EXPIRY_WARNING_DAYS, and a key the last health check could not reach.
 */
export function keyWarnings(
  versions: readonly KeyVersionInfo[],
  inUse: ReadonlySet<number>,
  health: KeyHealthRecord | null,
  now: Date,
): KeyWarning[] {
  const out: KeyWarning[] = []
  for (const v of versions) {
    if (v.expiresAt === undefined || v.status !== 'enabled' || !inUse.has(v.version)) continue
    const left = v.expiresAt.getTime() - now.getTime()
    const on = v.expiresAt.toISOString()
    if (left <= 0) {
      out.push({
        code: 'expired',
        version: v.version,
        message: `Version ${String(v.version)} expired on ${on}; import or rotate to a new version.`,
      })
    } else if (left <= EXPIRY_WARNING_DAYS * DAY_MS) {
      out.push({
        code: 'expiring',
        version: v.version,
        message: `Version ${String(v.version)} expires on ${on} (in ${String(Math.ceil(left / DAY_MS))} day(s)); import or rotate to a new version before then.`,
      })
    }
  }
  if (health?.state === 'unreachable') {
    out.push({
      code: 'unreachable',
      message: `The key provider has not answered since ${health.since}: environments under this key can't open until it does (nothing is locked).`,
    })
  }
  return out
}

const STATES = new Set(['available', 'unreachable', 'disabled', 'missing'])

/** The health columns of a tenant_keys row as a record, or null before the first check. */
export function healthRecord(row: {
  readonly health: string | null
  readonly health_since: string | null
  readonly health_checked_at: string | null
}): KeyHealthRecord | null {
  if (row.health === null || !STATES.has(row.health)) return null
  return {
    state: row.health as KeyHealthRecord['state'],
    since: row.health_since ?? row.health_checked_at ?? '',
    checkedAt: row.health_checked_at ?? '',
  }
}
