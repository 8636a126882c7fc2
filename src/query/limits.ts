/** Hard limits on query options. Exceeding one is QUERY_TOO_COMPLEX unless noted. */

/** Maximum $filter length in characters (also applies to each parameter alias value). */
export const MAX_FILTER_LENGTH = 8000

/** Maximum nesting depth of parentheses and `not` in $filter. */
export const MAX_FILTER_DEPTH = 32

/** Maximum number of comparisons and function calls in $filter. */
export const MAX_FILTER_PREDICATES = 100

/** Maximum number of $select entries. */
export const MAX_SELECT_ITEMS = 500

/** Maximum number of $orderby entries. */
export const MAX_ORDER_BY_ITEMS = 16

/** Maximum $top; dataverse-spec §7: pages hold at most 5,000 rows. A larger $top is QUERY_INVALID. */
export const MAX_TOP = 5000

/** dataverse-spec §7: @odata.count is capped at 5,000. */
export const MAX_COUNT = 5000

/** Maximum length of any other query option or alias value (dataverse-spec §7: URLs ≤ 32 KB). */
export const MAX_OPTION_LENGTH = 32768
