import { z } from 'zod';

/**
 * The signed config envelope on `{prefix}/{site}/config/push`: `{payload, keyId, expiresAt?, sig}`.
 * Only its shape lives here (pure, so the AsyncAPI contract and the agent share it); signing and
 * verifying are `agent/fleet/signing.ts`.
 */

// Standard base64: alphabet characters, at most two `=` at the end, a multiple of 4 in all. Said
// as a plain character run and a length test: a pattern of repeated 4-character groups keeps a
// backtracking entry per group and grew 26x from 100 KB to 1 MB.
const base64 = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected standard base64')
  .refine((text) => text.length % 4 === 0, 'expected standard base64 (a length that is a multiple of 4)');

export const keyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected a key id of letters, digits, ".", "_", ":" or "-" (1-128 chars)');

export const envelopeSchema = z
  .strictObject({
    /** the config file's exact bytes */
    payload: base64.describe("the site config file's exact bytes, standard base64"),
    keyId: keyIdSchema.describe('id of the signing key; the agent looks it up in its trusted keys'),
    /** the push is refused after this instant (UTC); absent: it never expires */
    expiresAt: z.iso.datetime({ offset: false }).optional().describe('ISO 8601 UTC instant after which the agent refuses the push; absent: it never expires'),
    sig: base64.describe('Ed25519 signature, standard base64, over "c5-config-envelope-v1\\n{keyId}\\n{expiresAt or empty}\\n" followed by the payload bytes'),
  })
  .describe('A signed site config push.');

export type ConfigEnvelope = z.output<typeof envelopeSchema>;
