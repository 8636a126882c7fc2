/**
 * The user a request asks to act as (dataverse-spec §3 Impersonation): by the Entra object id
 * of the `CallerObjectId` header (systemuser.azureactivedirectoryobjectid) or by the
 * systemuserid of the legacy `MSCRMCallerID` header. `id` is a lower-case GUID.
 */
export interface ImpersonationTarget {
  readonly by: 'azureactivedirectoryobjectid' | 'systemuserid'
  readonly id: string
}
