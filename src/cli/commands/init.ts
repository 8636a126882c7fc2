import { initDataDir } from '../../app.ts'
import { defineCommand } from '../command.ts'

export const init = defineCommand({
  name: 'init',
  summary: 'Initialise a data directory: master key, keyring, key vault, control plane.',
  args: [],
  options: {},
  async run({ config, deps }) {
    const { masterKeyFile } = await initDataDir(config, deps)
    return { dataDir: config.dataDir, masterKeyFile, regions: config.regions }
  },
  human(r) {
    return (
      `Initialised ${r.dataDir}\n` +
      (r.masterKeyFile === null
        ? 'Master key: from STRONGROOM_MASTER_KEY.\n'
        : `Master key: ${r.masterKeyFile} (mode 0600). Back it up off this machine: without it the data can't be read.\n`)
    )
  },
})
