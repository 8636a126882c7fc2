import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import {
  CHOICE_LABEL_MAX_LENGTH,
  CHOICE_OPTIONS_MAX,
  CURRENCY_PRECISION_MAX,
  DECIMAL_PRECISION_MAX,
  defaultRange,
  FLOAT_PRECISION_MAX,
  LOOKUP_TARGETS_MAX,
  MEMO_MAX_LENGTH_DEFAULT,
  MEMO_MAX_LENGTH_LIMIT,
  PRECISION_DEFAULT,
  STRING_MAX_LENGTH_DEFAULT,
  STRING_MAX_LENGTH_LIMIT,
  WHOLENUMBER_MAX,
} from './column-defaults.ts'
import type { ColumnOptions, ColumnType } from './model.ts'

const CASCADE_RULES = ['cascade', 'active', 'userOwned', 'none'] as const

const LOGICAL_NAME = /^[a-z][a-z0-9_]{0,49}$/

const maxLength = (limit: number) => z.number().int().min(1).max(limit).exactOptional()
const precision = (limit: number) => z.number().int().min(0).max(limit).exactOptional()
const bound = (type: ColumnType) => {
  const [min, max] = defaultRange(type)
  const n = type === 'wholenumber' || type === 'bigint' ? z.number().int() : z.number()
  return n.min(min).max(max).exactOptional()
}
const range = (type: ColumnType) => ({ minValue: bound(type), maxValue: bound(type) })

/** Cell-level encryption settings (string and memo columns only, see docs/keys.md). */
const cellEncryption = {
  encrypted: z.boolean().exactOptional(),
  blindIndex: z.boolean().exactOptional(),
}

/** Column security (IsSecured); set by setColumnSecured, never by column creation. */
const secured = { secured: z.literal(true).exactOptional() }

const choices = z
  .array(
    z.strictObject({
      value: z.number().int().min(0).max(WHOLENUMBER_MAX),
      label: z.string().trim().min(1).max(CHOICE_LABEL_MAX_LENGTH),
      state: z.number().int().min(0).max(WHOLENUMBER_MAX).exactOptional(),
    }),
  )
  .min(1)
  .max(CHOICE_OPTIONS_MAX)
  .refine((list) => new Set(list.map((c) => c.value)).size === list.length, {
    message: 'choice values must be unique',
  })

const SCHEMAS: Readonly<Record<ColumnType, z.ZodType<ColumnOptions>>> = {
  string: z.strictObject({
    maxLength: maxLength(STRING_MAX_LENGTH_LIMIT),
    ...cellEncryption,
    ...secured,
  }),
  memo: z.strictObject({
    maxLength: maxLength(MEMO_MAX_LENGTH_LIMIT),
    ...cellEncryption,
    ...secured,
  }),
  wholenumber: z.strictObject({ ...range('wholenumber'), ...secured }),
  bigint: z.strictObject({ ...range('bigint'), ...secured }),
  float: z.strictObject({
    precision: precision(FLOAT_PRECISION_MAX),
    ...range('float'),
    ...secured,
  }),
  decimal: z.strictObject({
    precision: precision(DECIMAL_PRECISION_MAX),
    ...range('decimal'),
    ...secured,
  }),
  currency: z.strictObject({
    precision: precision(CURRENCY_PRECISION_MAX),
    ...range('currency'),
    ...secured,
  }),
  boolean: z.strictObject({ ...secured }),
  datetime: z.strictObject({
    format: z.enum(['dateonly', 'datetime']).exactOptional(),
    ...secured,
  }),
  choice: z.strictObject({ choices, ...secured }),
  choices: z.strictObject({ choices, ...secured }),
  lookup: z.strictObject({
    targets: z
      .array(z.string().regex(LOGICAL_NAME, 'expected a table logical name'))
      .min(1)
      .max(LOOKUP_TARGETS_MAX)
      .refine((list) => new Set(list).size === list.length, { message: 'targets must be unique' }),
    onDelete: z.enum(['removeLink', 'restrict']).exactOptional(),
    cascadeShare: z.enum(CASCADE_RULES).exactOptional(),
    cascadeAssign: z.enum(CASCADE_RULES).exactOptional(),
  }),
  uniqueidentifier: z.strictObject({ ...secured }),
}

/**
 * Validates the options of a new column of `type` and fills in the Dataverse defaults, so the
 * stored metadata is explicit (string maxLength 100, memo 2000, precision 2, datetime format
 * 'datetime', numeric ranges). Lookup targets are checked for existence by the caller.
 *
 * @throws AppError VALIDATION with one detail per problem, paths under `options.`
 */
export function parseColumnOptions(type: ColumnType, raw: unknown): ColumnOptions {
  const parsed = SCHEMAS[type].safeParse(raw ?? {})
  if (!parsed.success) {
    throw new AppError('VALIDATION', `The options of the ${type} column are invalid.`, {
      details: parsed.error.issues.map((issue) => ({
        path: ['options', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    })
  }
  const options = parsed.data
  if (
    options.minValue !== undefined &&
    options.maxValue !== undefined &&
    options.minValue > options.maxValue
  ) {
    throw new AppError('VALIDATION', 'minValue is greater than maxValue.', {
      details: [{ path: 'options.minValue', message: 'must not exceed maxValue' }],
    })
  }
  if (options.blindIndex === true && options.encrypted !== true) {
    throw new AppError('VALIDATION', 'A blind index needs an encrypted column.', {
      details: [{ path: 'options.blindIndex', message: 'only with encrypted: true' }],
    })
  }
  return withDefaults(type, options)
}

/** The encryption flags, kept only when true (stored metadata stays minimal). */
const encryptionOf = (options: ColumnOptions): ColumnOptions => ({
  ...(options.encrypted === true ? { encrypted: true } : {}),
  ...(options.encrypted === true && options.blindIndex === true ? { blindIndex: true } : {}),
})

function withDefaults(type: ColumnType, options: ColumnOptions): ColumnOptions {
  switch (type) {
    case 'string':
      return { maxLength: options.maxLength ?? STRING_MAX_LENGTH_DEFAULT, ...encryptionOf(options) }
    case 'memo':
      return { maxLength: options.maxLength ?? MEMO_MAX_LENGTH_DEFAULT, ...encryptionOf(options) }
    case 'wholenumber':
    case 'float':
    case 'decimal':
    case 'currency': {
      const [min, max] = defaultRange(type)
      return {
        ...(type === 'wholenumber' ? {} : { precision: options.precision ?? PRECISION_DEFAULT }),
        minValue: options.minValue ?? min,
        maxValue: options.maxValue ?? max,
      }
    }
    case 'datetime':
      return { format: options.format ?? 'datetime' }
    case 'bigint':
    case 'boolean':
    case 'choice':
    case 'choices':
    case 'lookup':
    case 'uniqueidentifier':
      return options
  }
}

/** Parses options read back from the _columns table (no defaults added). */
export function parseStoredColumnOptions(type: ColumnType, json: string): ColumnOptions {
  const parsed = SCHEMAS[type].safeParse(JSON.parse(json))
  if (!parsed.success) {
    throw new AppError('DATABASE_CORRUPT', 'The stored column metadata is not valid.')
  }
  return parsed.data
}
