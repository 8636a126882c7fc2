import { parseQueryOptions } from '../../query/index.ts'
import type { RecordData } from '../../records/index.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, stringOption } from '../command.ts'
import { formatTable } from '../io.ts'
import { dataContext, ENV_OPTIONS, readDataOption } from './data-context.ts'

const DATA = {
  data: { type: 'string', description: "JSON object, or '-' for stdin", required: true },
} as const

function versionOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  if (!/^[0-9]{1,19}$/.test(text))
    throw new AppError('VALIDATION', '--if-version must be a number.')
  return text
}

const show = (r: RecordData): string =>
  Object.entries(r)
    .map(([k, v]) => `${k}: ${v === null ? '' : String(v)}`)
    .join('\n') + '\n'

export const recordCreate = defineCommand({
  name: 'record create',
  summary: 'Create a record; prints its id.',
  args: ['table'],
  options: { ...ENV_OPTIONS, ...DATA },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const data = await readDataOption(input)
    const id = await app.records.createRecord(env, input.args['table'] ?? '', data, { actorId })
    return { id }
  },
  human: (r) => `${r.id}\n`,
})

export const recordGet = defineCommand({
  name: 'record get',
  summary: 'Read a record by id.',
  args: ['table', 'id'],
  options: { ...ENV_OPTIONS, select: { type: 'string', description: 'Columns, comma-separated' } },
  async run(input) {
    const { app, env } = await dataContext(input)
    const select = stringOption(input, 'select')
    return app.records.retrieveRecord(env, input.args['table'] ?? '', input.args['id'] ?? '', {
      ...(select === undefined ? {} : { select: select.split(',').map((s) => s.trim()) }),
    })
  },
  human: show,
})

export const recordList = defineCommand({
  name: 'record list',
  summary: 'Query records with OData options.',
  args: ['table'],
  options: {
    ...ENV_OPTIONS,
    filter: { type: 'string', description: "OData $filter, e.g. contains(name,'x')" },
    select: { type: 'string', description: 'OData $select' },
    orderby: { type: 'string', description: 'OData $orderby' },
    top: { type: 'string', description: 'OData $top (at most 5000)' },
  },
  async run(input) {
    const { app, env } = await dataContext(input)
    const table = await app.records.getTable(env, input.args['table'] ?? '')
    const params: Record<string, string> = {}
    for (const [option, name] of [
      ['filter', '$filter'],
      ['select', '$select'],
      ['orderby', '$orderby'],
      ['top', '$top'],
    ] as const) {
      const v = stringOption(input, option)
      if (v !== undefined) params[name] = v
    }
    const result = await app.records.queryRecords(env, table.name, parseQueryOptions(params, table))
    return {
      table: table.name,
      primaryId: table.primaryIdColumn,
      primaryName: table.primaryNameColumn,
      records: result.records,
    }
  },
  human: (r) => {
    const first = r.records[0]
    const columns =
      first === undefined
        ? []
        : Object.keys(first).length <= 6
          ? Object.keys(first)
          : [r.primaryId, r.primaryName, 'versionnumber', 'modifiedon'].filter((c) => c in first)
    return formatTable(r.records, columns)
  },
})

export const recordUpdate = defineCommand({
  name: 'record update',
  summary: 'Update a record (optionally only if unchanged since --if-version).',
  args: ['table', 'id'],
  options: {
    ...ENV_OPTIONS,
    ...DATA,
    'if-version': {
      type: 'string',
      description: 'Expected versionnumber (optimistic concurrency)',
    },
  },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const data = await readDataOption(input)
    const ifVersion = versionOption(stringOption(input, 'if-version'))
    const version = await app.records.updateRecord(
      env,
      input.args['table'] ?? '',
      input.args['id'] ?? '',
      data,
      {
        actorId,
        ...(ifVersion === undefined ? {} : { ifVersion }),
      },
    )
    return { id: input.args['id'], versionnumber: version }
  },
  human: (r) => `Updated ${String(r.id)} (version ${r.versionnumber})\n`,
})

export const recordDelete = defineCommand({
  name: 'record delete',
  summary: 'Delete a record.',
  args: ['table', 'id'],
  options: {
    ...ENV_OPTIONS,
    'if-version': {
      type: 'string',
      description: 'Expected versionnumber (optimistic concurrency)',
    },
  },
  async run(input) {
    const { app, env, actorId } = await dataContext(input)
    const ifVersion = versionOption(stringOption(input, 'if-version'))
    await app.records.deleteRecord(env, input.args['table'] ?? '', input.args['id'] ?? '', {
      actorId,
      ...(ifVersion === undefined ? {} : { ifVersion }),
    })
    return { id: input.args['id'], deleted: true }
  },
  human: (r) => `Deleted ${String(r.id)}\n`,
})
