import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SupervisorMetrics as AgentDepsMetrics } from '../../../../agent/agent.js';
import { createAgentMetrics } from '../../../../agent/observe/metrics.js';

describe('createAgentMetrics', () => {
  it('registers every DESIGN.md metric under c5_agent_ with process metrics alongside', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '1.2.3', configVersion: 7 });
    const text = await metrics.registry.metrics();
    for (const name of [
      'c5_agent_info',
      'c5_agent_camera_up',
      'c5_agent_frames_total',
      'c5_agent_camera_restarts_total',
      'c5_agent_stage_seconds',
      'c5_agent_frame_to_alert_seconds',
      'c5_agent_inference_seconds',
      'c5_agent_alerts_total',
      'c5_agent_mqtt_connected',
      'c5_agent_mqtt_publish_failures_total',
      'c5_agent_config_version',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('c5_agent_info{version="1.2.3",site="site-a",config_version="7"} 1');
    expect(text).toContain('c5_agent_stage_seconds_bucket{le="0.0005",stage="decode"} 0');
    expect(text).toContain('c5_agent_mqtt_connected 0');
  });

  it('moves info and config_version to a newly applied config', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '1.2.3', defaultMetrics: false });
    metrics.setConfigVersion(9);
    const text = await metrics.registry.metrics();
    expect(text).toContain('c5_agent_info{version="1.2.3",site="site-a",config_version="9"} 1');
    expect(text).not.toContain('config_version="0"');
    expect(text).toContain('c5_agent_config_version 9');
  });

  it('builds independent registries, so two agents (or tests) never collide', () => {
    const a = createAgentMetrics({ siteId: 'a', version: '1', defaultMetrics: false });
    const b = createAgentMetrics({ siteId: 'b', version: '1', defaultMetrics: false });
    expect(a.registry).not.toBe(b.registry);
  });

  it('satisfies what the agent supervisor records into', () => {
    expectTypeOf(createAgentMetrics({ siteId: 's', version: '1' })).toMatchTypeOf<AgentDepsMetrics>();
  });
});
