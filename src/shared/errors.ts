/**
 * Stable error codes. The code is the contract: scripts, the CLI exit status, the HTTP status
 * and the Dataverse wire code all derive from it. Messages are for people and may change.
 * docs/errors.md is kept in sync with this table by a test.
 */

export type ErrorKind =
  | 'validation'
  | 'not-found'
  | 'conflict'
  | 'locked'
  | 'integrity'
  | 'configuration'
  | 'unauthorized'
  | 'forbidden'
  | 'limit'
  | 'internal'

interface ErrorSpec {
  readonly kind: ErrorKind
  readonly http: number
  /** Dataverse error body code (dataverse-spec §7 Errors). */
  readonly wire: string
  /** CLI process exit status. */
  readonly exit: number
  /** What the code means, for docs/errors.md. */
  readonly meaning: string
  /** What an operator or client should do, for docs/errors.md. */
  readonly action: string
}

// dataverse-spec §7: 0x80040217 not found, 0x80040237 duplicate. 0x80040203 is Dataverse's
// InvalidArgument and 0x80060882 its ConcurrencyVersionMismatch.
const INVALID_ARGUMENT = '0x80040203'
const NOT_FOUND = '0x80040217'
const DUPLICATE = '0x80040237'
const CONCURRENCY = '0x80060882'
const GENERIC = '0x80040216'

export const ERRORS = {
  VALIDATION: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning: 'The input does not match the expected shape; `details` lists each problem by path.',
    action: 'Correct the input named in the details.',
  },
  NAME_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning: 'A tenant, environment, table, column or key name is not a valid identifier.',
    action: 'Use the characters and length the message names; path characters are never allowed.',
  },
  RECORD_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning: 'A record value violates its column type (length, range, choice, format).',
    action: 'Correct the value of the column named in the details.',
  },
  QUERY_INVALID: {
    kind: 'validation',
    http: 400,
    wire: '0x80060888',
    exit: 2,
    meaning: 'An OData query option ($filter, $select, $orderby, $top) could not be parsed.',
    action: 'Correct the query; the message gives the position of the problem.',
  },
  QUERY_UNSUPPORTED: {
    kind: 'validation',
    http: 400,
    wire: '0x8006088a',
    exit: 2,
    meaning: 'The query uses an option or function this server does not support.',
    action: 'Remove the option; see the API compatibility table.',
  },
  QUERY_ENCRYPTED_COLUMN: {
    kind: 'validation',
    http: 400,
    wire: '0x80060888',
    exit: 2,
    meaning:
      'A $filter or $orderby needs the plaintext of an encrypted column: sorting, ranges, ne, contains/startswith/endswith, column-to-column comparisons, or eq on a column without a blind index.',
    action:
      'Filter encrypted columns only with eq on a column that has a blind index, or with eq null / ne null; sort by another column.',
  },
  AGGREGATE_LIMIT_EXCEEDED: {
    kind: 'limit',
    http: 400,
    // Dataverse's AggregateQueryRecordLimit exceeded.
    wire: '0x8004e023',
    exit: 2,
    meaning: 'A $apply aggregation would read more than 50,000 records (dataverse-spec §7).',
    action: 'Narrow the records with filter(...) in $apply, or aggregate in several parts.',
  },
  QUERY_TOO_COMPLEX: {
    kind: 'limit',
    http: 400,
    wire: '0x80060888',
    exit: 2,
    meaning: 'A query exceeds a length or nesting limit.',
    action: 'Simplify the query or split it.',
  },
  USAGE: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning: 'A command was called with unknown or missing arguments.',
    action: 'See `strongroom help`.',
  },
  TENANT_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'No tenant has that name or id.',
    action: 'Check the name with `strongroom tenant list`.',
  },
  REGION_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'No configured region has that name.',
    action: 'Use a region from the configuration (`regions`).',
  },
  ENVIRONMENT_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'The tenant has no environment of that name (or it was purged).',
    action: 'Check the name with `strongroom env list --tenant <tenant>`.',
  },
  TABLE_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: '0x80060888',
    exit: 3,
    meaning: 'The environment has no table of that logical or entity set name.',
    action: 'Check the name with `strongroom table list`.',
  },
  ALTERNATE_KEY_UNDEFINED: {
    kind: 'validation',
    http: 400,
    wire: '0x80060888',
    exit: 2,
    meaning:
      "A record was addressed by named values (`accounts(accountnumber='A-1')`) that are not exactly the columns of one of the table's alternate keys.",
    action:
      'Use the primary id, or the columns of a key listed in EntityDefinitions(…)/Keys (`strongroom table key list`).',
  },
  ALTERNATE_KEY_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'The table has no alternate key definition of that name.',
    action: 'Check the name with `strongroom table key list <table>`.',
  },
  COLUMN_NOT_FOUND: {
    kind: 'validation',
    http: 400,
    wire: '0x80060888',
    exit: 2,
    meaning: 'The table has no column of that logical name.',
    action: 'Check the column names with `strongroom table show`.',
  },
  RECORD_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'No record with that id exists in the table.',
    action: 'Check the id.',
  },
  APPLICATION_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'The environment has no application user with that client id.',
    action: 'Check the client id with `strongroom app list --tenant <tenant> --env <env>`.',
  },
  KEY_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'No key or key version of that name exists.',
    action: 'Check the name with `strongroom key list --tenant <tenant>`.',
  },
  POLICY_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: NOT_FOUND,
    exit: 3,
    meaning: 'The tenant has no encryption policy of that name.',
    action: 'Check the name with `strongroom policy list --tenant <tenant>`.',
  },
  ALREADY_EXISTS: {
    kind: 'conflict',
    http: 409,
    wire: DUPLICATE,
    exit: 4,
    meaning: 'Something with that name already exists.',
    action: 'Choose another name.',
  },
  RECORD_DUPLICATE: {
    kind: 'conflict',
    http: 412,
    wire: DUPLICATE,
    exit: 4,
    meaning: 'A record with the same id or key already exists.',
    action: 'Update the existing record instead, or use another id.',
  },
  CONCURRENCY_MISMATCH: {
    kind: 'conflict',
    http: 412,
    wire: CONCURRENCY,
    exit: 4,
    meaning: "The record changed since it was read: the version doesn't match.",
    action: 'Read the record again and reapply the change.',
  },
  INVALID_STATE: {
    kind: 'conflict',
    http: 409,
    wire: GENERIC,
    exit: 4,
    meaning:
      'The operation is not allowed in the current state (for example deleting a purged environment).',
    action: 'Check the state with `show`; the message names the allowed states.',
  },
  IN_USE: {
    kind: 'conflict',
    http: 409,
    wire: GENERIC,
    exit: 4,
    meaning: 'The object is still needed (for example a key version that still wraps data keys).',
    action: 'Move what depends on it first (rotate, re-wrap), then retry.',
  },
  COLUMN_ENCRYPTION_IRREVERSIBLE: {
    kind: 'conflict',
    http: 409,
    wire: GENERIC,
    exit: 4,
    meaning:
      'Marking a column encrypted is one-way: an encrypted column cannot be turned back into a plaintext column.',
    action:
      'Keep the column encrypted. To hold the values in plaintext, add a new column and copy them through the API.',
  },
  POLICY_REGION_MISMATCH: {
    kind: 'conflict',
    http: 409,
    wire: GENERIC,
    exit: 4,
    meaning:
      "The environment is in another region than the encryption policy (dataverse-spec §2: only environments in the policy's region can be added).",
    action: "Use a policy created for the environment's region (`policy create --region`).",
  },
  ENVIRONMENT_LOCKED: {
    kind: 'locked',
    http: 423,
    wire: '0x80090001',
    exit: 5,
    meaning: "The environment is locked: its key is unavailable, so its data can't be read.",
    action: 'Restore access to the key, then `strongroom env unlock`.',
  },
  ENVIRONMENT_UNAVAILABLE: {
    kind: 'conflict',
    http: 409,
    wire: GENERIC,
    exit: 4,
    meaning: 'The environment is not active (provisioning, disabled or deleted).',
    action: 'Enable or recover the environment first.',
  },
  KEY_UNAVAILABLE: {
    kind: 'locked',
    http: 503,
    wire: '0x80090002',
    exit: 5,
    meaning: 'A key encryption key is disabled, destroyed or unreachable.',
    action: 'Restore the key in its provider; environments under it stay locked until unlocked.',
  },
  KEY_IMPORT_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      "An uploaded key was refused: a PFX too large, with the wrong password, not exactly one RSA 2048/3072/4096 private key with its matching, unexpired certificate; or an HSM-wrapped blob too large, for another or an expired key-exchange key, that doesn't unwrap, or not one consistent RSA 2048/3072/4096 key. The message names the rule.",
    action:
      'Export the PFX again with one RSA key of an allowed size and its certificate; or wrap the key again for the current key-exchange key (`strongroom key exchange-key`).',
  },
  KEY_OPERATION_UNSUPPORTED: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'The key provider does not support this operation (for example creating an uploaded key, which is imported instead).',
    action: 'Use the operation the message names, or do it in the HSM itself.',
  },
  KEY_PROVIDER_INVALID: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning:
      "A key provider's settings are unusable (for example the PKCS#11 module can't be loaded or the token label is too long).",
    action:
      'Check the provider settings named in the message (module path, token label, PIN file).',
  },
  MASTER_KEY_MISSING: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning:
      'No master key: STRONGROOM_MASTER_KEY is unset and the data directory has no master.key.',
    action: 'Run `strongroom init`, or set STRONGROOM_MASTER_KEY / STRONGROOM_MASTER_KEY_FILE.',
  },
  MASTER_KEY_INVALID: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning:
      'The master key is malformed (not 32 bytes of hex or base64) or its file is readable by others.',
    action: 'Give 64 hex characters or 44 base64 characters; make the key file mode 0600.',
  },
  MASTER_KEY_MISMATCH: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning: 'The master key does not open this data directory.',
    action: 'Use the master key the data directory was initialised with.',
  },
  DATA_DIR_NOT_INITIALISED: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning: 'The data directory has not been initialised.',
    action: 'Run `strongroom init --data-dir <dir>`.',
  },
  DATA_DIR_INVALID: {
    kind: 'configuration',
    http: 500,
    wire: GENERIC,
    exit: 6,
    meaning:
      'The data directory or its configuration is unusable (not a directory, unreadable, bad settings).',
    action: 'Check the path, its permissions and the configuration named in the message.',
  },
  VAULT_CORRUPT: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning: 'The key vault file is damaged or was altered.',
    action:
      'Restore the vault file from backup; do not delete it (the keys in it are unrecoverable otherwise).',
  },
  CONTROL_PLANE_CORRUPT: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning: 'The control plane database is damaged or was altered.',
    action: 'Restore control.db from backup.',
  },
  DATABASE_CORRUPT: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning: "An environment database file is damaged, truncated or doesn't open with its key.",
    action: 'Restore the environment from backup. Nothing was written to the damaged file.',
  },
  DECRYPT_FAILED: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning:
      'Encrypted data could not be authenticated: it was altered, truncated, or sealed under another key or context.',
    action: 'Restore the affected data from backup; check that the right key is configured.',
  },
  KEY_UNWRAP_FAILED: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning:
      'A wrapped data key failed authentication: it was altered, or wrapped by another key or for another context.',
    action:
      'Check that the key reference and context match the wrapped key; restore it from backup.',
  },
  KEYRING_CORRUPT: {
    kind: 'integrity',
    http: 500,
    wire: GENERIC,
    exit: 7,
    meaning: "The data directory's keyring file is unreadable or not in the expected format.",
    action: 'Restore keyring.json from backup; without it the data directory cannot be opened.',
  },
  PAYLOAD_TOO_LARGE: {
    kind: 'limit',
    http: 413,
    wire: '0x80040216',
    exit: 2,
    meaning: 'The request body is larger than the server accepts.',
    action: 'Send less per request, or split a $batch.',
  },
  URI_TOO_LONG: {
    kind: 'limit',
    http: 414,
    wire: '0x80040216',
    exit: 2,
    meaning: 'The request URL is longer than 32,768 characters (dataverse-spec §7).',
    action: 'Move long filters into a $batch GET (64 KB) or simplify the query.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    kind: 'validation',
    http: 415,
    wire: '0x80040216',
    exit: 2,
    meaning: 'The request body has a Content-Type the endpoint does not accept.',
    action: 'Send application/json (or multipart/mixed to $batch).',
  },
  ROUTE_NOT_FOUND: {
    kind: 'not-found',
    http: 404,
    wire: '0x80060888',
    exit: 3,
    meaning: 'No resource answers at that URL.',
    action: 'Check the URL against the service document and $metadata.',
  },
  METHOD_NOT_ALLOWED: {
    kind: 'validation',
    http: 405,
    wire: '0x80060888',
    exit: 2,
    meaning: 'The resource does not support that HTTP method.',
    action: 'Use a method the resource supports.',
  },
  REQUEST_TIMEOUT: {
    kind: 'limit',
    http: 408,
    wire: '0x80040216',
    exit: 1,
    meaning: 'The request took longer than the server allows.',
    action: 'Retry; narrow the query.',
  },
  SERVICE_BUSY: {
    kind: 'limit',
    http: 503,
    wire: '0x80040216',
    exit: 5,
    meaning: 'A database stayed locked by another writer for longer than the busy timeout.',
    action: 'Retry after a moment.',
  },
  BATCH_MALFORMED: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'A $batch body is not a valid multipart/mixed batch (boundary, part headers, request line, JSON body, a GET in a change set, a nested batch). The message names the part.',
    action: 'Correct the batch; the message says which part and what is wrong.',
  },
  BATCH_TOO_LARGE: {
    kind: 'limit',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'A $batch exceeds a limit: more than 1,000 requests, a request URL over 64 KB, or too many or too long part headers (dataverse-spec §7).',
    action: 'Split the batch into several requests.',
  },
  BATCH_RESPONSE_TOO_LARGE: {
    kind: 'limit',
    http: 413,
    wire: '0x80040216',
    exit: 2,
    meaning:
      'The responses of a $batch would exceed the response size limit (64 MiB). The batch stops at the request that crossed it: that request, or its whole change set (rolled back), answers with this error; what ran before it stands.',
    action: 'Split the batch, or select fewer columns or rows per request.',
  },
  BATCH_URL_REFUSED: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      "A request in a $batch addresses a URL outside the environment's Web API (another host, tenant, environment or API version).",
    action: "Use URLs under the environment's Web API URL, absolute or relative to it.",
  },
  BATCH_REFERENCE_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'A $batch Content-ID is malformed or used twice, or a `$n` reference names no earlier request of the same change set (or one that created no entity).',
    action: 'Declare Content-ID on the referenced request, earlier in the same change set.',
  },
  UNAUTHORIZED: {
    kind: 'unauthorized',
    http: 401,
    wire: '0x80044306',
    exit: 8,
    meaning:
      'No valid access token: missing, malformed, expired, or not from a trusted issuer for this environment.',
    action:
      'Get a token from the tenant’s token endpoint for this environment’s URL and send it as a Bearer token.',
  },
  FORBIDDEN: {
    kind: 'forbidden',
    http: 403,
    wire: '0x80040220',
    exit: 9,
    meaning: 'The caller is authenticated but lacks the privilege for this operation.',
    action: 'Ask an administrator for a security role that grants it.',
  },
  SERVER_WORKER_FAILED: {
    kind: 'internal',
    http: 500,
    wire: GENERIC,
    exit: 1,
    meaning:
      'A server worker process (server.workers > 1) exited before it was listening, or kept exiting.',
    action:
      'Read the server log for the worker’s own error (e.g. the port in use), fix it, start again.',
  },
  RECORD_ACCESS_DENIED: {
    kind: 'forbidden',
    http: 403,
    wire: '0x80048306',
    exit: 9,
    meaning:
      'The caller holds the privilege and can see the record, but its access level or shares do not give it this right on this record.',
    action:
      'Ask the owner to share the record with you, or an administrator for a role with a wider access level.',
  },
  ACCESS_TEAM_PRIVILEGES_MISSING: {
    kind: 'forbidden',
    http: 403,
    wire: '0x80040220',
    exit: 9,
    meaning:
      "AddUserToRecordTeam: the user to add doesn't hold Read on the record's table, or a privilege the team template grants, at any access level (Dataverse: \"You can't add the user to the access team because the user doesn't have sufficient privileges on the entity.\").",
    action:
      'Give the user a security role with Read and the privileges of the template on that table, then add it again.',
  },
  TEAM_TEMPLATE_LIMIT: {
    kind: 'limit',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'A team template would exceed MaxAutoCreatedAccessTeamsPerEntity (2 templates per table) or MaxEntitiesEnabledForAutoCreatedAccessTeams (100 tables), as in Dataverse.',
    action: 'Delete a template of that table (or of another table) first, or reuse one.',
  },
  COLUMN_READ_DENIED: {
    kind: 'forbidden',
    http: 403,
    wire: '0x8004f507',
    exit: 9,
    meaning:
      "A $filter, $orderby or $apply uses a secured column (column security) the caller can't read on every record (Dataverse AttributePermissionReadIsMissing).",
    action:
      'Leave the column out of the filter and sort, or ask an administrator for a field security profile that grants Read on it.',
  },
  COLUMN_CREATE_DENIED: {
    kind: 'forbidden',
    http: 403,
    wire: '0x80040220',
    exit: 9,
    meaning:
      'A create sets a secured column (column security) the caller has no Create permission on (Dataverse AttributePrivilegeCreateIsMissing).',
    action:
      'Leave the column out, or ask an administrator for a field security profile that grants Create on it.',
  },
  COLUMN_UPDATE_DENIED: {
    kind: 'forbidden',
    http: 403,
    wire: '0x80040220',
    exit: 9,
    meaning:
      "An update sets a secured column (column security) the caller has no Update permission on, neither through a field security profile nor a share of that record's column (Dataverse AttributePermissionUpdateIsMissingDuringUpdate).",
    action:
      'Leave the column out, or ask an administrator for a field security profile or a column share that grants Update.',
  },
  IMPERSONATION_HEADER_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      'A CallerObjectId or MSCRMCallerID header (impersonation) is not one GUID, or a request (or $batch part) sends both.',
    action:
      'Send one of the two headers with the Entra object id (CallerObjectId) or the systemuserid (MSCRMCallerID) of the user to act as.',
  },
  IMPERSONATION_TARGET_INVALID: {
    kind: 'validation',
    http: 400,
    wire: INVALID_ARGUMENT,
    exit: 2,
    meaning:
      "The user an impersonation header names can't be impersonated: no enabled user of this environment has that id, or it is a service identity (SYSTEM, Support User). One answer for every reason.",
    action:
      "Check the id against the environment's systemusers (azureactivedirectoryobjectid for CallerObjectId, systemuserid for MSCRMCallerID) and that the user is enabled.",
  },
  INTERNAL: {
    kind: 'internal',
    http: 500,
    wire: GENERIC,
    exit: 1,
    meaning: 'An unexpected error. Details are only in the server log, under the request id.',
    action: 'Report it with the request id.',
  },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS

export interface ErrorDetail {
  readonly path: string
  readonly message: string
}

/**
 * The one error type domains throw. `message` must be safe to show the caller: it never holds
 * secrets, stack traces or SQL. Unexpected errors are wrapped as INTERNAL, whose message is
 * replaced by a generic one at every delivery boundary.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: readonly ErrorDetail[]

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: readonly ErrorDetail[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.details = options.details ?? []
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code]
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError

/** Anything that is not an AppError becomes INTERNAL, keeping the original as the cause. */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e
  return new AppError('INTERNAL', 'An unexpected error occurred.', { cause: e })
}
