import { startAgentProcess, type AgentProcess } from './agentProcess.js';
import { createAgentSite, type AgentSite, type SiteYamlOptions } from './agentSite.js';
import { startMosquitto, type MosquittoBroker } from './mosquitto.js';
import { collectMqtt, type MqttCollector } from './mqttCollector.js';

/** A real Mosquitto, a site config with a fleet section, a collector on the broker and the real agent CLI running it. */
export interface SiteUnderTest {
  readonly broker: MosquittoBroker;
  readonly site: AgentSite;
  readonly collector: MqttCollector;
  readonly agent: AgentProcess;
}

/** `topics`: what the collector subscribes to; default every topic of the site. */
export async function startSiteUnderTest(siteId: string, config: SiteYamlOptions, options: { topics?: string[] } = {}): Promise<SiteUnderTest> {
  const broker = await startMosquitto();
  const site = createAgentSite(siteId, broker.url);
  const collector = await collectMqtt({ url: broker.url, topics: options.topics ?? [`c5/${site.siteId}/#`] });
  site.write(config);
  const agent = await startAgentProcess(site.configPath, { env: site.env });
  return { broker, site, collector, agent };
}

/** Kills the agent (the one running now: a test may have restarted it), then the collector and the broker. */
export async function stopSiteUnderTest(parts: { agent?: AgentProcess; collector?: MqttCollector; broker?: MosquittoBroker }): Promise<void> {
  await parts.agent?.kill();
  await parts.collector?.close();
  await parts.broker?.stop();
}
