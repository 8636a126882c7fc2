/**
 * `$batch` (OData 4.0 §11.7, multipart/mixed): parsing, execution with atomic change sets over
 * a records unit of work, and the response in the shape Dataverse clients parse.
 */
export { createBatchHandler, prefersContinueOnError, type BatchDeps } from './batch-handler.ts'
export { DEFAULT_BATCH_LIMITS, type BatchLimits } from './limits.ts'
export type * from './model.ts'
export { parseBatch } from './parse-batch.ts'
export { serializeBatch, type SerializedBatch } from './serialize-batch.ts'
