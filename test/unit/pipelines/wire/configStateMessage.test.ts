import { describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../../../../agent/fleet/checkPush.js';
import type { ConfigState } from '../../../../agent/fleet/configState.js';
import { configStateMessageSchema } from '../../../../pipelines/wire/configStateMessage.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('configStateMessageSchema', () => {
  it('accepts an applied report with changes and a rejected report with null version and sha256', () => {
    const applied: ConfigState = {
      siteId: 'site-1',
      status: 'applied',
      version: 4,
      sha256: SHA_A,
      keyId: 'ops-2026',
      origin: 'mqtt',
      running: { version: 4, sha256: SHA_A },
      changes: { added: ['cam-3'], removed: [], restarted: ['cam-1'], reconfigured: [] },
      needsRestart: ['metrics'],
      time: '2026-01-02T03:04:05.678Z',
    };
    const rejected: ConfigState = {
      siteId: 'site-1',
      status: 'rejected',
      version: null,
      sha256: null,
      keyId: null,
      origin: 'drop_folder',
      reason: 'bad_signature',
      error: 'the signature does not verify',
      running: { version: 3, sha256: SHA_B },
      time: '2026-01-02T03:04:05.678Z',
    };
    expect(configStateMessageSchema.parse(JSON.parse(JSON.stringify(applied)))).toEqual(applied);
    expect(configStateMessageSchema.parse(JSON.parse(JSON.stringify(rejected)))).toEqual(rejected);
  });

  it('takes every reason code the agent can report', () => {
    for (const reason of [...REJECT_REASONS, 'apply_failed', 'probation_failed', 'interrupted']) {
      const report = {
        siteId: 's',
        status: 'rejected',
        version: null,
        sha256: null,
        keyId: null,
        origin: 'mqtt',
        reason,
        running: { version: 1, sha256: SHA_A },
        time: '2026-01-02T03:04:05Z',
      };
      expect(configStateMessageSchema.safeParse(report).success, reason).toBe(true);
    }
  });

  it('refuses an unknown key, an upper-case digest and a version 0', () => {
    const ok = {
      siteId: 's',
      status: 'applied',
      version: 2,
      sha256: SHA_A,
      keyId: 'k',
      origin: 'local_file',
      running: { version: 2, sha256: SHA_A },
      time: '2026-01-02T03:04:05Z',
    };
    expect(configStateMessageSchema.safeParse(ok).success).toBe(true);
    expect(configStateMessageSchema.safeParse({ ...ok, config: 'x' }).success).toBe(false);
    expect(configStateMessageSchema.safeParse({ ...ok, sha256: 'A'.repeat(64) }).success).toBe(false);
    expect(configStateMessageSchema.safeParse({ ...ok, version: 0 }).success).toBe(false);
  });
});
