import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { fixedClock } from '../shared/clock.ts'
import type { AppError } from '../shared/errors.ts'
import { cryptoRandom } from '../shared/random.ts'
import type { AddColumnInput } from './add-column.ts'
import { defaultEntitySetName } from './entity-set-name.ts'
import { createRecordsFixture, type RecordsFixture } from './internal/records-fixture.ts'
import { createRecordsService } from './records-service.ts'

const hasCode = (code: string, path?: string) => (e: AppError) => {
  assert.equal(e.code, code)
  if (path !== undefined) assert.equal(e.details[0]?.path, path)
  return true
}

describe('defaultEntitySetName', () => {
  it('makes English plurals the Dataverse way', () => {
    const cases: Record<string, string> = {
      account: 'accounts',
      opportunity: 'opportunities',
      survey: 'surveys',
      address: 'addresses',
      box: 'boxes',
      batch: 'batches',
      wish: 'wishes',
      new_widget: 'new_widgets',
    }
    for (const [name, plural] of Object.entries(cases))
      assert.equal(defaultEntitySetName(name), plural)
  })
})

describe('createTable and addColumn', () => {
  let f: RecordsFixture
  const actor = () => ({ actorId: f.ids.systemUserId })
  before(async () => {
    f = await createRecordsFixture()
  })
  after(async () => {
    await f.close()
  })

  it('creates a table with system columns and default names', async () => {
    const t = await f.service.createTable(f.env, { name: 'new_project', ownership: 'user' })
    assert.equal(t.entitySetName, 'new_projects')
    assert.equal(t.displayName, 'New Project')
    assert.equal(t.primaryIdColumn, 'new_projectid')
    assert.equal(t.primaryNameColumn, 'name')
    assert.deepEqual(
      t.columns.map((c) => c.name),
      [
        'new_projectid',
        'name',
        'createdon',
        'createdby',
        'modifiedon',
        'modifiedby',
        'createdonbehalfby',
        'modifiedonbehalfby',
        'ownerid',
        'owningbusinessunit',
        'statecode',
        'statuscode',
        'versionnumber',
      ],
    )
    assert.deepEqual(await f.service.getTable(f.env, 'new_projects'), t)
    const org = await f.service.createTable(f.env, {
      name: 'new_category',
      ownership: 'organization',
      entitySetName: 'new_cats',
      displayName: 'Category',
      primaryNameColumn: 'new_title',
      primaryNameMaxLength: 300,
    })
    assert.equal(org.entitySetName, 'new_cats')
    assert.ok(!org.columns.some((c) => c.name === 'ownerid'))
    const id = await f.service.createRecord(
      f.env,
      'new_cats',
      { new_title: 'x'.repeat(300) },
      actor(),
    )
    const r = await f.service.retrieveRecord(f.env, 'new_category', id)
    assert.equal(r['new_title'], 'x'.repeat(300))
  })

  it('refuses bad names, including path and SQL characters', async () => {
    for (const name of [
      '../x',
      'a;drop',
      'A',
      '1abc',
      '_x',
      'a b',
      'sqlite_x',
      'x'.repeat(51),
      '',
      'a"b',
    ]) {
      await assert.rejects(
        f.service.createTable(f.env, { name, ownership: 'user' }),
        hasCode('NAME_INVALID'),
      )
      await assert.rejects(
        f.service.addColumn(f.env, 'account', { name, type: 'string' }),
        hasCode('NAME_INVALID'),
      )
    }
    await assert.rejects(
      f.service.createTable(f.env, { name: 'okname', entitySetName: '../x', ownership: 'user' }),
      hasCode('NAME_INVALID'),
    )
    await assert.rejects(
      f.service.createTable(f.env, { name: 'okname', ownership: 'team' as 'user' }),
      hasCode('VALIDATION', 'ownership'),
    )
    await assert.rejects(
      f.service.createTable(f.env, {
        name: 'okname',
        ownership: 'user',
        primaryNameColumn: 'createdon',
      }),
      hasCode('NAME_INVALID'),
    )
    await assert.rejects(
      f.service.createTable(f.env, { name: 'okname', ownership: 'user', displayName: 'a\nb' }),
      hasCode('VALIDATION', 'displayName'),
    )
    await assert.rejects(
      f.service.addColumn(f.env, 'account', { name: 'rowid', type: 'string' }),
      hasCode('NAME_INVALID'),
    )
  })

  it('refuses duplicate table and entity set names', async () => {
    await assert.rejects(
      f.service.createTable(f.env, { name: 'account', ownership: 'user' }),
      hasCode('ALREADY_EXISTS'),
    )
    await assert.rejects(
      f.service.createTable(f.env, {
        name: 'new_other',
        entitySetName: 'accounts',
        ownership: 'user',
      }),
      hasCode('ALREADY_EXISTS'),
    )
    // A logical name equal to another table's entity set name would make lookups ambiguous.
    await assert.rejects(
      f.service.createTable(f.env, { name: 'accounts', ownership: 'user' }),
      hasCode('ALREADY_EXISTS'),
    )
  })

  it('adds columns of every type with defaults filled in', async () => {
    const c = await f.service.addColumn(f.env, 'account', { name: 'new_code', type: 'string' })
    assert.deepEqual(c.options, { maxLength: 100 })
    const d = await f.service.addColumn(f.env, 'account', { name: 'new_rate', type: 'decimal' })
    assert.deepEqual(d.options, { precision: 2, minValue: -100000000000, maxValue: 100000000000 })
    const t = await f.service.getTable(f.env, 'account')
    assert.deepEqual(t.columns.at(-1), d)
    const id = await f.service.createRecord(
      f.env,
      'account',
      { new_code: 'c', new_rate: 0.125 },
      actor(),
    )
    const r = await f.service.retrieveRecord(f.env, 'account', id, { select: ['new_rate'] })
    assert.equal(r['new_rate'], 0.13)
    await assert.rejects(
      f.service.createRecord(f.env, 'account', { new_code: 'x'.repeat(101) }, actor()),
      hasCode('RECORD_INVALID', 'new_code'),
    )
  })

  it('refuses duplicate columns and bad options', async () => {
    const add = (input: AddColumnInput) => f.service.addColumn(f.env, 'account', input)
    await assert.rejects(add({ name: 'name', type: 'string' }), hasCode('ALREADY_EXISTS'))
    await assert.rejects(add({ name: 'createdon', type: 'string' }), hasCode('ALREADY_EXISTS'))
    await assert.rejects(add({ name: 'accountid', type: 'string' }), hasCode('ALREADY_EXISTS'))
    await assert.rejects(
      add({ name: 'x1', type: 'text' as 'string' }),
      hasCode('VALIDATION', 'type'),
    )
    const bad: [AddColumnInput, string][] = [
      [{ name: 'x2', type: 'string', options: { maxLength: 4001 } }, 'options.maxLength'],
      [{ name: 'x2', type: 'string', options: { maxLength: 0 } }, 'options.maxLength'],
      [{ name: 'x2', type: 'memo', options: { maxLength: 1_048_577 } }, 'options.maxLength'],
      [{ name: 'x2', type: 'decimal', options: { precision: 11 } }, 'options.precision'],
      [{ name: 'x2', type: 'float', options: { precision: 6 } }, 'options.precision'],
      [{ name: 'x2', type: 'currency', options: { precision: 5 } }, 'options.precision'],
      [
        { name: 'x2', type: 'wholenumber', options: { minValue: 5, maxValue: 1 } },
        'options.minValue',
      ],
      [{ name: 'x2', type: 'wholenumber', options: { maxValue: 2 ** 31 } }, 'options.maxValue'],
      [{ name: 'x2', type: 'choice', options: { choices: [] } }, 'options.choices'],
      [{ name: 'x2', type: 'choice' }, 'options.choices'],
      [
        {
          name: 'x2',
          type: 'choices',
          options: {
            choices: [
              { value: 1, label: 'a' },
              { value: 1, label: 'b' },
            ],
          },
        },
        'options.choices',
      ],
      [
        { name: 'x2', type: 'choice', options: { choices: [{ value: 1.5, label: 'a' }] } },
        'options.choices.0.value',
      ],
      [
        {
          name: 'x2',
          type: 'choice',
          options: { choices: [{ value: 1, label: 'l'.repeat(101) }] },
        },
        'options.choices.0.label',
      ],
      [{ name: 'x2', type: 'lookup', options: { targets: [] } }, 'options.targets'],
      [{ name: 'x2', type: 'lookup', options: { targets: ['nosuch'] } }, 'options.targets.0'],
      [{ name: 'x2', type: 'lookup', options: { targets: ['../x'] } }, 'options.targets.0'],
      [{ name: 'x2', type: 'boolean', options: { maxLength: 5 } }, 'options'],
      [
        { name: 'x2', type: 'datetime', options: { format: 'time' as 'datetime' } },
        'options.format',
      ],
    ]
    for (const [input, path] of bad) {
      await assert.rejects(add(input), hasCode('VALIDATION', path), JSON.stringify(input))
    }
    const t = await f.service.getTable(f.env, 'account')
    assert.ok(!t.columns.some((c) => c.name === 'x2'))
  })

  it('a lookup column accepts records of its targets only', async () => {
    await f.service.addColumn(f.env, 'contact', {
      name: 'new_managerid',
      type: 'lookup',
      options: { targets: ['systemuser'] },
    })
    const id = await f.service.createRecord(
      f.env,
      'contact',
      { lastname: 'M', new_managerid: f.ids.systemUserId },
      actor(),
    )
    assert.equal(
      (await f.service.retrieveRecord(f.env, 'contact', id))['new_managerid'],
      f.ids.systemUserId,
    )
    await assert.rejects(
      f.service.createRecord(f.env, 'contact', { new_managerid: f.ids.defaultTeamId }, actor()),
      hasCode('RECORD_INVALID', 'new_managerid'),
    )
  })

  it('a required column refuses null and absence', async () => {
    await f.service.createTable(f.env, { name: 'new_req', ownership: 'user' })
    await f.service.addColumn(f.env, 'new_req', {
      name: 'new_code',
      type: 'string',
      required: true,
    })
    await assert.rejects(
      f.service.createRecord(f.env, 'new_req', { name: 'x' }, actor()),
      hasCode('RECORD_INVALID', 'new_code'),
    )
    const id = await f.service.createRecord(f.env, 'new_req', { new_code: 'c' }, actor())
    await assert.rejects(
      f.service.updateRecord(f.env, 'new_req', id, { new_code: null }, actor()),
      hasCode('RECORD_INVALID', 'new_code'),
    )
  })

  it('a schema change by another process is seen by a running service', async () => {
    // A second EnvironmentDatabases over the same files: its own connection, like the CLI.
    const other = createRecordsService({
      databases: f.openDatabases(),
      clock: fixedClock(new Date('2025-06-01T00:00:00Z')),
      random: cryptoRandom,
    })
    const before = await f.service.getTable(f.env, 'contact')
    assert.ok(!before.columns.some((c) => c.name === 'new_nickname'))
    await other.addColumn(f.env, 'contact', { name: 'new_nickname', type: 'string' })
    await other.createTable(f.env, { name: 'new_fromcli', ownership: 'organization' })
    // Another process's commit is seen from the next turn of the event loop (the change stamp
    // reads SQLite's data_version once per turn); a real other process is never in this turn.
    await new Promise((resolve) => setImmediate(resolve))
    const after = await f.service.getTable(f.env, 'contact')
    assert.ok(after.columns.some((c) => c.name === 'new_nickname'))
    const id = await f.service.createRecord(f.env, 'contact', { new_nickname: 'Nick' }, actor())
    const fromOther = await other.retrieveRecord(f.env, 'contact', id, { select: ['new_nickname'] })
    assert.equal(fromOther['new_nickname'], 'Nick')
    assert.equal((await f.service.getTable(f.env, 'new_fromclis')).name, 'new_fromcli')
    // A point read whose cached catalog went stale re-checks it (no cached shortcut).
    await other.addColumn(f.env, 'contact', { name: 'new_second', type: 'string' })
    const otherId = await other.createRecord(f.env, 'contact', { new_second: 'two' }, actor())
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal((await f.service.retrieveRecord(f.env, 'contact', otherId))['new_second'], 'two')
  })
})
