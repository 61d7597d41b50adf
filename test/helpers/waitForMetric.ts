import type { AgentProcess } from './agentProcess.js';

/**
 * Polls the agent's /metrics until the summed samples of `name` (with `labels`) reach `atLeast`;
 * returns the value seen. Bounded: throws after timeoutMs, naming the metric and its last value.
 */
export async function waitForMetric(agent: AgentProcess, name: string, labels: Record<string, string>, atLeast: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = await agent.metric(name, labels);
  while (value < atLeast) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${JSON.stringify(labels)} >= ${atLeast} (last ${value})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await agent.metric(name, labels);
  }
  return value;
}
