import type { ODataResponse } from '../context.ts'
import type { Operation } from './operation.ts'

/** GET WhoAmI / WhoAmI() (dataverse-spec §7 Identity and metadata). */
export async function whoAmI(op: Operation): Promise<ODataResponse> {
  const ids = await op.records.readProvisionedIds(op.env)
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: op.api.caller.businessUnitId,
      UserId: op.api.caller.systemUserId,
      OrganizationId: ids.organizationId,
    },
  }
}
