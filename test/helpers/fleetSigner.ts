import { createPrivateKey, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { generateSigningKey, signEnvelope, type ConfigEnvelope } from '../../agent/fleet/signing.js';

/** A config signing key for tests: signs config text into envelope bytes as `c5-agent config sign` does. */
export interface TestSigner {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** base64 raw public key, as in a trusted-keys file */
  readonly publicKey: string;
  envelope(configText: string, options?: { expiresAt?: Date; keyId?: string }): ConfigEnvelope;
  /** the envelope as the bytes a push carries */
  push(configText: string, options?: { expiresAt?: Date; keyId?: string }): Buffer;
}

export function createSigner(keyId = 'test-key'): TestSigner {
  const pair = generateSigningKey();
  const privateKey = createPrivateKey(pair.privateKeyPem);
  const envelope = (configText: string, options: { expiresAt?: Date; keyId?: string } = {}): ConfigEnvelope =>
    signEnvelope({
      payload: Buffer.from(configText),
      privateKey,
      keyId: options.keyId ?? keyId,
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    });
  return {
    keyId,
    privateKey,
    publicKey: pair.publicKey,
    envelope,
    push: (configText, options) => Buffer.from(JSON.stringify(envelope(configText, options))),
  };
}

/** Writes a trusted-keys file trusting these signers; returns its path. */
export function writeTrustedKeys(path: string, signers: readonly TestSigner[], notAfter?: Record<string, string>): string {
  const keys = signers.map((signer) => ({
    keyId: signer.keyId,
    publicKey: signer.publicKey,
    ...(notAfter?.[signer.keyId] ? { notAfter: notAfter[signer.keyId] } : {}),
  }));
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}
