import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SupervisorMetrics as AgentDepsMetrics } from '../../../../agent/CameraSupervisor.js';
import { createAgentMetrics, FRAME_TO_ALERT_BUCKETS, INFERENCE_BUCKETS, modelsLabel } from '../../../../agent/observe/metrics.js';

describe('createAgentMetrics', () => {
  it('registers every README metric under c5_agent_ with process metrics alongside', async () => {
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
      'c5_agent_inference_worker_restarts_total',
      'c5_agent_masked_detections_total',
      'c5_agent_alerts_total',
      'c5_agent_mqtt_connected',
      'c5_agent_mqtt_publish_failures_total',
      'c5_agent_config_version',
      'c5_agent_config_apply_total',
      'c5_agent_config_push_unverified_total',
      'c5_agent_outbox_messages',
      'c5_agent_outbox_oldest_age_seconds',
      'c5_agent_outbox_dropped_total',
      'c5_agent_capacity_load_ratio',
      'c5_agent_capacity_cameras',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('c5_agent_info{version="1.2.3",site="site-a",config_version="7",models=""} 1');
    expect(text).toContain('c5_agent_stage_seconds_bucket{le="0.00025",stage="decode"} 0');
    expect(text).toContain('c5_agent_mqtt_connected 0');
    // every apply result exists before the first push, so increase() and the alert rule see a 0
    for (const result of ['applied', 'rejected', 'rolled_back']) {
      expect(text).toContain(`c5_agent_config_apply_total{result="${result}"} 0`);
    }
  });

  it('gives every c5_agent_ metric a help text that states its unit', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '1', defaultMetrics: false });
    const lines = (await metrics.registry.metrics()).split('\n');
    const helps = lines.filter((line) => line.startsWith('# HELP c5_agent_'));
    expect(helps.length).toBeGreaterThanOrEqual(15);
    expect(helps.length).toBe(lines.filter((line) => line.startsWith('# TYPE c5_agent_')).length);
    for (const help of helps) expect(help).toMatch(/unit: [a-z ]+$|the value is always 1$/);
  });

  it('buckets frame-to-alert from 5 ms to 10 s and inference from 1 ms to 2 s, ascending', async () => {
    expect([FRAME_TO_ALERT_BUCKETS[0], FRAME_TO_ALERT_BUCKETS.at(-1)]).toEqual([0.005, 10]);
    expect([INFERENCE_BUCKETS[0], INFERENCE_BUCKETS.at(-1)]).toEqual([0.001, 2]);
    for (const buckets of [FRAME_TO_ALERT_BUCKETS, INFERENCE_BUCKETS]) {
      expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    }
    const metrics = createAgentMetrics({ siteId: 's', version: '1', defaultMetrics: false });
    metrics.inferenceSeconds.observe({ model: 'yolox-nano' }, 0.012);
    const text = await metrics.registry.getSingleMetricAsString('c5_agent_inference_seconds');
    expect(text).toContain('c5_agent_inference_seconds_bucket{le="0.01",model="yolox-nano"} 0');
    expect(text).toContain('c5_agent_inference_seconds_bucket{le="0.015",model="yolox-nano"} 1');
  });

  it('names the loaded models and their digests in one info series', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '1.2.3', configVersion: 3, defaultMetrics: false });
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    metrics.setModels([
      { name: 'yolox-s', sha256: b },
      { name: 'yolox-nano', sha256: a },
      { name: 'yolox-s', sha256: b },
    ]);
    metrics.setConfigVersion(4);
    const text = await metrics.registry.getSingleMetricAsString('c5_agent_info');
    const series = text.split('\n').filter((line) => line.startsWith('c5_agent_info{'));
    expect(series).toEqual([`c5_agent_info{version="1.2.3",site="site-a",config_version="4",models="yolox-nano@${a},yolox-s@${b}"} 1`]);
    expect(modelsLabel([])).toBe('');
  });

  it('moves info and config_version to a newly applied config', async () => {
    const metrics = createAgentMetrics({ siteId: 'site-a', version: '1.2.3', defaultMetrics: false });
    metrics.setConfigVersion(9);
    const text = await metrics.registry.metrics();
    expect(text).toContain('c5_agent_info{version="1.2.3",site="site-a",config_version="9",models=""} 1');
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
