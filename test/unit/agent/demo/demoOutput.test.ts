import { describe, expect, it } from 'vitest';
import { formatDemoAlert, formatExplainHint, shellWord } from '../../../../agent/demo/demoOutput.js';
import { makeAlert } from '../../../helpers/alertFixture.js';

describe('demo output', () => {
  it('prints an alert with time, camera, rule, state, object and id', () => {
    const alert = makeAlert({ cameraId: 'plaza', ruleId: 'person-present', now: Date.parse('2026-12-04T20:41:31.123Z') });
    expect(formatDemoAlert(alert)).toBe(
      `2026-12-04T20:41:31.123Z  plaza  person-present     start person #4 score 0.90 box [0.100, 0.200, 0.300, 0.600]  id ${alert.id}\n`,
    );
  });

  it('closes with the explain command, and the npx form only under npm', () => {
    const id = '01a242d4-1c0b-75d2-bff4-8ae3bbdd2c58';
    expect(formatExplainHint({ alertId: id, auditDir: '/tmp/c5-demo-audit-x', env: {} })).toBe(
      `why an alert was sent (its decision trail in the audit log):\n  c5-agent audit explain ${id} --dir /tmp/c5-demo-audit-x\n`,
    );
    expect(formatExplainHint({ alertId: id, auditDir: '/tmp/my audit', env: { npm_lifecycle_event: 'demo' } })).toBe(
      `why an alert was sent (its decision trail in the audit log):\n  c5-agent audit explain ${id} --dir '/tmp/my audit'\n` +
        `  from this checkout: npx --no-install c5-agent audit explain ${id} --dir '/tmp/my audit'\n`,
    );
    expect(formatExplainHint({ alertId: undefined, auditDir: '/a', env: {} })).toBe('no alert to explain; the audit log is in /a (c5-agent audit verify /a)\n');
  });

  it('quotes a path for the shell only when it must', () => {
    expect(shellWord('/tmp/c5-demo-audit-Ab1_x')).toBe('/tmp/c5-demo-audit-Ab1_x');
    expect(shellWord("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
  });
});
