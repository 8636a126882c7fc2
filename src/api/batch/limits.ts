/** Hard limits of a $batch request. */
export interface BatchLimits {
  /** dataverse-spec §7 ($batch): up to 1,000 requests, change set members included. */
  readonly maxOperations: number
  /** dataverse-spec §7: a GET URL inside $batch may be up to 64 KB (65,536 characters). */
  readonly maxUrlLength: number
  /** The whole body, in characters (the server's body limit applies before this). */
  readonly maxBodyLength: number
  /** Header lines of one part (MIME headers and the HTTP request's headers, each). */
  readonly maxHeaders: number
  /** Length of one header line. */
  readonly maxHeaderLength: number
  /** Nesting of a JSON request body that is walked for `$n` references. */
  readonly maxJsonDepth: number
  /**
   * The response bodies of all parts together, in UTF-8 bytes (default 64 MiB). The batch
   * answer is built in memory; past this it stops with BATCH_RESPONSE_TOO_LARGE instead of
   * growing without bound (1,000 GETs of 5,000 rows each would otherwise be gigabytes).
   */
  readonly maxResponseBytes: number
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxOperations: 1000,
  maxUrlLength: 65_536,
  maxBodyLength: 16 * 1024 * 1024,
  maxHeaders: 64,
  maxHeaderLength: 16_384,
  maxJsonDepth: 32,
  maxResponseBytes: 64 * 1024 * 1024,
}
