export {
  CONFIG_FILE,
  defaultFileSettings,
  loadConfig,
  readFileSettings,
  type Config,
  type ConfigInput,
  type MasterKeySource,
} from './load-config.ts'
export { readProcessEnv } from './process-env.ts'
export { readSecret, type SecretSource } from './read-secret-file.ts'
export { FILE_SETTINGS, SETTINGS, type FileSettings, type SettingDoc } from './settings.ts'
