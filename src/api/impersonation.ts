import type { ImpersonationTarget } from '../identity/impersonation-target.ts'
import { AppError } from '../shared/errors.ts'

/** A GUID, as Dataverse writes it (braces allowed), with room for surrounding spaces. */
const MAX_HEADER_LENGTH = 64
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i

/** The impersonation headers (lower-case, as Node and the $batch parser give them). */
export const IMPERSONATION_HEADERS = {
  callerobjectid: 'azureactivedirectoryobjectid',
  mscrmcallerid: 'systemuserid',
} as const

const DISPLAY: Readonly<Record<keyof typeof IMPERSONATION_HEADERS, string>> = {
  callerobjectid: 'CallerObjectId',
  mscrmcallerid: 'MSCRMCallerID',
}

/**
 * The user a request asks to impersonate (dataverse-spec §3): `CallerObjectId: <Entra object
 * id>` or the legacy `MSCRMCallerID: <systemuserid>`; undefined when it asks for neither. Each
 * value must be one GUID (braces allowed, nothing else; a header sent twice arrives joined
 * and is refused), and a request may name the user one way only. Who may impersonate whom is
 * decided when the caller is resolved (identity resolveImpersonatedCaller).
 *
 * @throws AppError IMPERSONATION_HEADER_INVALID
 */
export function parseImpersonation(
  headers: Readonly<Record<string, unknown>>,
): ImpersonationTarget | undefined {
  const given = (
    Object.keys(IMPERSONATION_HEADERS) as (keyof typeof IMPERSONATION_HEADERS)[]
  ).filter((name) => headers[name] !== undefined)
  const [name, other] = given
  if (name === undefined) return undefined
  if (other !== undefined) {
    throw new AppError(
      'IMPERSONATION_HEADER_INVALID',
      'A request may impersonate one user: send CallerObjectId or MSCRMCallerID, not both.',
    )
  }
  const value = headers[name]
  const match =
    typeof value === 'string' && value.length <= MAX_HEADER_LENGTH ? GUID.exec(value.trim()) : null
  if (match?.[1] === undefined) {
    throw new AppError(
      'IMPERSONATION_HEADER_INVALID',
      `The ${DISPLAY[name]} header must be one user id (a GUID).`,
      { details: [{ path: DISPLAY[name], message: 'expected a GUID' }] },
    )
  }
  return { by: IMPERSONATION_HEADERS[name], id: match[1].toLowerCase() }
}

/** The impersonation headers of `headers` removed (a $batch part that sets its own). */
export function withoutImpersonation<T>(headers: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const [k, v] of Object.entries(headers))
    if (!Object.hasOwn(IMPERSONATION_HEADERS, k)) out[k] = v
  return out
}
