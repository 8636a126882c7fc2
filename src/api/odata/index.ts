/** The Dataverse-compatible OData layer of the Web API (dataverse-spec §7). */
export { createODataHandler } from './create-odata-handler.ts'
export { DEFAULT_ODATA_LIMITS, type ODataDeps, type ODataLimits, type RecordsApi } from './deps.ts'
