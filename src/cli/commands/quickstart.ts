import { existsSync } from 'node:fs'
import { dataPaths, initDataDir } from '../../app.ts'
import { createEnvironment } from '../../control/environments/create-environment.ts'
import { listEnvironments } from '../../control/environments/environment.ts'
import { createTenant } from '../../control/tenants/create-tenant.ts'
import { listTenants } from '../../control/tenants/find-tenant.ts'
import { defineCommand } from '../command.ts'

/**
 * `npm start` until the Web API lands: initialise the data directory on first run, make sure a
 * demo tenant and environment exist, write a record and read it back through the encrypted
 * store.
 */
export const quickstart = defineCommand({
  name: 'quickstart',
  summary: 'Initialise the data directory if needed and run a short offline demo.',
  args: [],
  options: {},
  async run(input) {
    const steps: string[] = []
    if (!existsSync(dataPaths(input.config.dataDir).keyring)) {
      const { masterKeyFile } = await initDataDir(input.config, input.deps)
      steps.push(`Initialised ${input.config.dataDir}`)
      if (masterKeyFile !== null) {
        steps.push(
          `Master key written to ${masterKeyFile} (mode 0600): back it up off this machine.`,
        )
      }
    }
    const app = await input.app()
    if (!(await listTenants(app.control)).some((t) => t.name === 'demo')) {
      await createTenant(app.control, { name: 'demo', actor: input.actor })
      steps.push('Created tenant demo (with its own key encryption key in the local vault)')
    }
    let env = (await listEnvironments(app.control, { tenant: 'demo' })).find(
      (e) => e.name === 'sandbox',
    )
    if (env === undefined) {
      env = await createEnvironment(app.control, {
        tenant: 'demo',
        name: 'sandbox',
        actor: input.actor,
      })
      steps.push('Created environment demo/sandbox (its own AEGIS-256 encrypted database)')
    }
    const { systemUserId } = await app.records.readProvisionedIds(env.id)
    const id = await app.records.createRecord(
      env.id,
      'account',
      { name: 'Contoso Ltd', revenue: 125000.5, numberofemployees: 42 },
      { actorId: systemUserId },
    )
    const record = await app.records.retrieveRecord(env.id, 'account', id, {
      select: ['name', 'revenue', 'numberofemployees'],
    })
    steps.push(`Wrote and read back account ${id}: ${JSON.stringify(record)}`)
    return { dataDir: input.config.dataDir, environment: env, steps }
  },
  human: (r) =>
    r.steps.map((s) => `• ${s}\n`).join('') +
    `\nEnvironment ${r.environment.tenant}/${r.environment.name} (${r.environment.id}), key ${r.environment.key.name} v${r.environment.key.version}.\n` +
    'Next: npx strongroom serve (the HTTPS Web API), or npx strongroom help\n',
})
