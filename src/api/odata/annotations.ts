/** Instance annotation terms (dataverse-spec §7 Formatted values; OData 4.0 §8.2.8.4). */
export const FORMATTED_VALUE = 'OData.Community.Display.V1.FormattedValue'
export const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname'
export const ASSOCIATED_NAVIGATION_PROPERTY = 'Microsoft.Dynamics.CRM.associatednavigationproperty'
export const TOTAL_RECORD_COUNT = 'Microsoft.Dynamics.CRM.totalrecordcount'
export const TOTAL_RECORD_COUNT_LIMIT_EXCEEDED =
  'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'
