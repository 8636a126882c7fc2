import { AppError } from '../shared/errors.ts'

/**
 * dataverse-spec §7: CallerObjectId / MSCRMCallerID ask to act as another user. Until
 * impersonation is implemented (issue #5), a request that asks for it is refused rather than
 * silently run with the caller's own (often wider) rights.
 */
export function refuseImpersonation(headers: Readonly<Record<string, unknown>>): void {
  if (headers['callerobjectid'] !== undefined || headers['mscrmcallerid'] !== undefined) {
    throw new AppError(
      'QUERY_UNSUPPORTED',
      'Impersonation (CallerObjectId, MSCRMCallerID) is not supported yet.',
    )
  }
}
