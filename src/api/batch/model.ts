import type { ODataResponse } from '../context.ts'

/** Methods a request inside a batch may use. */
export const BATCH_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const
export type BatchMethod = (typeof BATCH_METHODS)[number]

/** Where a request inside a batch points. */
export type BatchTarget =
  /** A path under the Web API (after `/api/data/<version>/`), still percent-encoded. */
  | { readonly kind: 'path'; readonly path: string }
  /** `$<contentId>` followed by `rest` ('' or '/…'): the entity an earlier request created. */
  | { readonly kind: 'reference'; readonly contentId: string; readonly rest: string }

/** One parsed request of a batch. */
export interface BatchOperation {
  /** 1-based position among the batch's requests, for messages. */
  readonly index: number
  readonly contentId?: string
  readonly method: BatchMethod
  readonly target: BatchTarget
  /** Decoded query options. */
  readonly query: Readonly<Record<string, string>>
  /** Lower-case header names (the batch's inherited ones, then the request's own). */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body, or undefined. */
  readonly body: unknown
}

/** A top-level member of a batch: a request, or a change set (atomic group of requests). */
export type BatchItem =
  | { readonly kind: 'operation'; readonly operation: BatchOperation }
  | { readonly kind: 'changeset'; readonly operations: readonly BatchOperation[] }

export interface ParsedBatch {
  readonly items: readonly BatchItem[]
  readonly operationCount: number
}

/** The answer to one request of a batch. */
export interface OperationResult {
  readonly contentId?: string
  readonly response: ODataResponse
}

/**
 * The answer to one top-level member: a request's response, a change set's responses, or the
 * single error response of a change set that was rolled back.
 */
export type ItemResult =
  | { readonly kind: 'operation'; readonly result: OperationResult }
  | { readonly kind: 'changeset'; readonly results: readonly OperationResult[] }
  | { readonly kind: 'changeset-failed'; readonly result: OperationResult }
