import { listHistory } from '../../control/history.ts'
import { createTenant } from '../../control/tenants/create-tenant.ts'
import { findTenant, listTenants } from '../../control/tenants/find-tenant.ts'
import { defineCommand } from '../command.ts'
import { formatTable } from '../io.ts'

export const tenantCreate = defineCommand({
  name: 'tenant create',
  summary: 'Create a tenant and its service-managed key.',
  args: ['name'],
  options: {},
  async run({ args, app, actor }) {
    return createTenant((await app()).control, { name: args['name'] ?? '', actor })
  },
  human: (t) => `Created tenant ${t.name} (${t.id})\n`,
})

export const tenantList = defineCommand({
  name: 'tenant list',
  summary: 'List tenants.',
  args: [],
  options: {},
  async run({ app }) {
    return listTenants((await app()).control)
  },
  human: (rows) => formatTable(rows, ['name', 'id', 'createdAt']),
})

export const tenantHistory = defineCommand({
  name: 'tenant history',
  summary: "Show a tenant's recent lifecycle and key history.",
  args: ['name'],
  options: {},
  async run({ args, app }) {
    const { control } = await app()
    const tenant = await findTenant(control, args['name'] ?? '')
    return listHistory(control.db, tenant.id)
  },
  human: (rows) => formatTable(rows, ['at', 'actor', 'action', 'detail']),
})
