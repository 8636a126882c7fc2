import type { ColumnOptions, ColumnType, KeyDef, TableDef } from '../../records/index.ts'
import { COLUMN_TYPES } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, requiredOption, stringOption, type CommandInput } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS } from './data-context.ts'

const describeKeys = (keys: readonly KeyDef[]): string =>
  formatTable(
    keys.map((k) => ({ ...k, columns: k.columns.join(',') })),
    ['name', 'displayName', 'columns'],
  )

const describeTable = (t: TableDef): string =>
  `${t.name} (entity set ${t.entitySetName}, ${t.ownership}-owned${t.system ? ', system' : ''})\n` +
  formatTable(
    t.columns.map((c) => ({ ...c, options: Object.keys(c.options).length > 0 ? c.options : '' })),
    ['name', 'type', 'required', 'system', 'primary', 'options'],
  ) +
  ((t.keys ?? []).length > 0 ? `\nAlternate keys:\n${describeKeys(t.keys ?? [])}` : '')

export const tableCreate = defineCommand({
  name: 'table create',
  summary: 'Create a table (with its system columns).',
  args: ['logicalname'],
  options: {
    ...ENV_OPTIONS,
    ownership: { type: 'string', description: 'user | organization (default user)' },
    'display-name': { type: 'string', description: 'Display name' },
    'entity-set': { type: 'string', description: 'Entity set name (default: plural)' },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const ownership = stringOption(input, 'ownership') ?? 'user'
    if (ownership !== 'user' && ownership !== 'organization') {
      throw new AppError('VALIDATION', '--ownership must be user or organization.')
    }
    const displayName = stringOption(input, 'display-name')
    const entitySetName = stringOption(input, 'entity-set')
    return app.records.createTable(env, {
      name: input.args['logicalname'] ?? '',
      ownership: ownership,
      ...(displayName === undefined ? {} : { displayName }),
      ...(entitySetName === undefined ? {} : { entitySetName }),
    })
  },
  human: describeTable,
})

export const tableList = defineCommand({
  name: 'table list',
  summary: "List an environment's tables.",
  args: [],
  options: ENV_OPTIONS,
  async run(input) {
    const { app, env } = await dataContext(input)
    return app.records.listTables(env)
  },
  human: (rows) =>
    formatTable(
      rows.map((t) => ({ ...t, columns: t.columns.length })),
      ['name', 'entitySetName', 'ownership', 'system', 'columns'],
    ),
})

export const tableShow = defineCommand({
  name: 'table show',
  summary: 'Show a table and its columns.',
  args: ['logicalname'],
  options: ENV_OPTIONS,
  async run(input) {
    const { app, env } = await dataContext(input)
    return app.records.getTable(env, input.args['logicalname'] ?? '')
  },
  human: describeTable,
})

function intOption(input: CommandInput, name: string): number | undefined {
  const text = stringOption(input, name)
  if (text === undefined) return undefined
  if (!/^-?[0-9]{1,16}(\.[0-9]{1,10})?$/.test(text)) {
    throw new AppError('VALIDATION', `--${name} must be a number.`)
  }
  return Number(text)
}

/** `--choices 1=Red,2=Blue` */
function parseChoices(text: string): { value: number; label: string }[] {
  return text.split(',').map((part) => {
    const m = /^(-?[0-9]{1,10})=(.{1,100})$/.exec(part.trim())
    if (m === null) {
      throw new AppError('VALIDATION', '--choices must look like 1=Red,2=Blue.')
    }
    return { value: Number(m[1]), label: m[2] ?? '' }
  })
}

export const columnAdd = defineCommand({
  name: 'column add',
  summary: 'Add a column to a table.',
  args: ['table', 'column'],
  options: {
    ...ENV_OPTIONS,
    type: { type: 'string', description: COLUMN_TYPES.join(' | '), required: true },
    'display-name': { type: 'string', description: 'Display name' },
    required: { type: 'boolean', description: 'Values are required' },
    'max-length': { type: 'string', description: 'string/memo: maximum length' },
    min: { type: 'string', description: 'numbers: minimum value' },
    max: { type: 'string', description: 'numbers: maximum value' },
    precision: { type: 'string', description: 'decimal 0-10, float 0-5, currency 0-4' },
    format: { type: 'string', description: 'datetime: dateonly | datetime' },
    choices: { type: 'string', description: 'choice/choices: 1=Red,2=Blue' },
    targets: { type: 'string', description: 'lookup: target tables, comma-separated' },
    encrypted: { type: 'boolean', description: 'string/memo: cell-level encryption (one-way)' },
    'blind-index': {
      type: 'boolean',
      description: 'encrypted: keep a blind index so eq filters work (reveals equal values)',
    },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const type = requiredOption(input, 'type') as ColumnType
    if (!COLUMN_TYPES.includes(type)) {
      throw new AppError('VALIDATION', `--type must be one of ${COLUMN_TYPES.join(', ')}.`)
    }
    const format = stringOption(input, 'format')
    if (format !== undefined && format !== 'dateonly' && format !== 'datetime') {
      throw new AppError('VALIDATION', '--format must be dateonly or datetime.')
    }
    const choices = stringOption(input, 'choices')
    const targets = stringOption(input, 'targets')
    const maxLength = intOption(input, 'max-length')
    const minValue = intOption(input, 'min')
    const maxValue = intOption(input, 'max')
    const precision = intOption(input, 'precision')
    const options: ColumnOptions = {
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(minValue === undefined ? {} : { minValue }),
      ...(maxValue === undefined ? {} : { maxValue }),
      ...(precision === undefined ? {} : { precision }),
      ...(format === undefined ? {} : { format }),
      ...(choices === undefined ? {} : { choices: parseChoices(choices) }),
      ...(targets === undefined ? {} : { targets: targets.split(',').map((t) => t.trim()) }),
      ...(input.options['encrypted'] === true ? { encrypted: true } : {}),
      ...(input.options['blind-index'] === true ? { blindIndex: true } : {}),
    }
    const displayName = stringOption(input, 'display-name')
    return app.records.addColumn(env, input.args['table'] ?? '', {
      name: input.args['column'] ?? '',
      type,
      required: input.options['required'] === true,
      options,
      ...(displayName === undefined ? {} : { displayName }),
    })
  },
  human: (c) =>
    `Added column ${c.name} (${c.type}${c.options.encrypted === true ? ', encrypted' : ''}${c.options.blindIndex === true ? ', blind index' : ''})\n`,
})

export const columnEncrypt = defineCommand({
  name: 'column encrypt',
  summary: 'Encrypt a string or memo column, sealing its stored values (one-way).',
  args: ['table', 'column'],
  options: {
    ...ENV_OPTIONS,
    'blind-index': {
      type: 'boolean',
      description: 'Keep a blind index so eq filters work (reveals which values are equal)',
    },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const table = input.args['table'] ?? ''
    const result = await app.records.setColumnEncryption(env, table, input.args['column'] ?? '', {
      encrypted: true,
      ...(input.options['blind-index'] === true ? { blindIndex: true } : {}),
    })
    return { table, ...result }
  },
  human: (r) =>
    r.changed
      ? `Column ${r.table}.${r.column.name} is encrypted${r.column.options.blindIndex === true ? ' with a blind index' : ''}; ${String(r.values)} stored value(s) sealed or indexed.\n`
      : `Column ${r.table}.${r.column.name} was already encrypted as asked; nothing changed.\n`,
})

export const columnDecrypt = defineCommand({
  name: 'column decrypt',
  summary: 'Refused for an encrypted column: encryption is one-way.',
  args: ['table', 'column'],
  options: ENV_OPTIONS,
  async run(input) {
    const { app, env } = await dataContext(input)
    const table = input.args['table'] ?? ''
    const result = await app.records.setColumnEncryption(env, table, input.args['column'] ?? '', {
      encrypted: false,
    })
    return { table, ...result }
  },
  human: (r) => `Column ${r.table}.${r.column.name} is not encrypted; nothing changed.\n`,
})

export const tableKeyAdd = defineCommand({
  name: 'table key add',
  summary: 'Add an alternate key (a UNIQUE index over 1-16 columns) to a table.',
  args: ['table'],
  options: {
    ...ENV_OPTIONS,
    name: { type: 'string', description: 'Logical name of the key', required: true },
    columns: { type: 'string', description: 'Key columns, comma-separated', required: true },
    'display-name': { type: 'string', description: 'Display name' },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const displayName = stringOption(input, 'display-name')
    return app.records.createKey(env, input.args['table'] ?? '', {
      name: requiredOption(input, 'name'),
      columns: requiredOption(input, 'columns')
        .split(',')
        .map((c) => c.trim()),
      ...(displayName === undefined ? {} : { displayName }),
    })
  },
  human: (k) => `Added key ${k.name} (${k.columns.join(', ')})\n`,
})

export const tableKeyList = defineCommand({
  name: 'table key list',
  summary: "List a table's alternate keys.",
  args: ['table'],
  options: ENV_OPTIONS,
  async run(input) {
    const { app, env } = await dataContext(input)
    const table = await app.records.getTable(env, input.args['table'] ?? '')
    return [...(table.keys ?? [])]
  },
  human: describeKeys,
})

export const tableKeyDelete = defineCommand({
  name: 'table key delete',
  summary: 'Delete an alternate key and its index (the records stay).',
  args: ['table'],
  options: {
    ...ENV_OPTIONS,
    name: { type: 'string', description: 'Logical name of the key', required: true },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const name = requiredOption(input, 'name')
    await app.records.deleteKey(env, input.args['table'] ?? '', name)
    return { deleted: name }
  },
  human: (r) => `Deleted key ${r.deleted}\n`,
})
