import type { ODataResponse } from '../context.ts'
import type { Operation } from './operation.ts'

/** GET /api/data/v9.2/: the service document, listing the entity sets (dataverse-spec §7). */
export async function serviceDocument(op: Operation): Promise<ODataResponse> {
  const tables = await op.tables()
  return {
    status: 200,
    headers: {},
    body: {
      '@odata.context': `${op.api.webApiUrl}$metadata`,
      value: tables.map((t) => ({
        name: t.entitySetName,
        kind: 'EntitySet',
        url: t.entitySetName,
      })),
    },
  }
}
