import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import { KEY_TYPES, type KeyType } from './key-provider.ts'

// Labels are shown in CLI output and the admin centre: printable text, bounded length.
const CreateKeyOptions = z.strictObject({
  label: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\p{Cc}]+$/u, 'control characters are not allowed'),
  type: z.enum(KEY_TYPES),
})

/**
 * Parses the options of KeyProvider.createKey, the same for every provider.
 * @throws AppError VALIDATION
 */
export function parseCreateKeyOptions(opts: unknown): { label: string; type: KeyType } {
  const parsed = CreateKeyOptions.safeParse(opts)
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'The key options are invalid.', {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    })
  }
  return parsed.data
}
