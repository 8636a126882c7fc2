import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import {
  ERRORS_BEGIN,
  ERRORS_END,
  extractBetween,
  renderErrorsTable,
  renderSettingsTable,
  SETTINGS_BEGIN,
  SETTINGS_END,
} from '../helpers/render-docs.ts'

// The docs are generated from the code; `npm run docs:write` fixes a failure here.
describe('docs are in sync with the code', () => {
  it('docs/errors.md lists every error code as src/shared/errors.ts defines it', () => {
    const doc = readFileSync('docs/errors.md', 'utf8')
    assert.equal(extractBetween(doc, ERRORS_BEGIN, ERRORS_END), renderErrorsTable())
  })

  it('docs/configuration.md lists every setting of src/config/settings.ts', () => {
    const doc = readFileSync('docs/configuration.md', 'utf8')
    assert.equal(extractBetween(doc, SETTINGS_BEGIN, SETTINGS_END), renderSettingsTable())
  })
})
