// Regenerates the generated tables in docs/ (npm run docs:write).
import { readFileSync, writeFileSync } from 'node:fs'
import {
  ERRORS_BEGIN,
  ERRORS_END,
  renderErrorsTable,
  renderSettingsTable,
  replaceBetween,
  SETTINGS_BEGIN,
  SETTINGS_END,
} from './render-docs.ts'

const update = (file: string, begin: string, end: string, body: string) => {
  writeFileSync(file, replaceBetween(readFileSync(file, 'utf8'), begin, end, body))
}
update('docs/errors.md', ERRORS_BEGIN, ERRORS_END, renderErrorsTable())
update('docs/configuration.md', SETTINGS_BEGIN, SETTINGS_END, renderSettingsTable())
