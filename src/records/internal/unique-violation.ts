import { AppError } from '../../shared/errors.ts'

/** SQLite's message: `UNIQUE constraint failed: account.accountnumber, account.name`. */
const UNIQUE_FAILED =
  /^UNIQUE constraint failed: ((?:[a-z][a-z0-9_]{0,49}\.[a-z][a-z0-9_]{0,49}(?:, )?){1,16})$/

/** Whether `e` is SQLite's UNIQUE (or PRIMARY KEY) constraint failure. */
export const isUniqueViolation = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/**
 * The Dataverse duplicate error (0x80040237, dataverse-spec §7) for a UNIQUE violation, or
 * undefined for any other error. The message names the table and the key's columns (logical
 * names, validated at creation), never the values.
 */
export function duplicateFromConstraint(e: unknown): AppError | undefined {
  if (!isUniqueViolation(e)) return undefined
  const message = (e as { message?: unknown }).message
  const m = typeof message === 'string' ? UNIQUE_FAILED.exec(message) : null
  const columns = m?.[1]
    ?.split(', ')
    .map((qualified) => qualified.slice(qualified.indexOf('.') + 1))
  const table = m?.[1]?.slice(0, m[1].indexOf('.'))
  return new AppError(
    'RECORD_DUPLICATE',
    columns === undefined || table === undefined
      ? 'A record with matching key values already exists.'
      : `A record with matching key values already exists (${table}: ${columns.join(', ')}).`,
    {
      cause: e,
      details: [{ path: columns?.join(',') ?? '(key)', message: 'duplicate key values' }],
    },
  )
}
