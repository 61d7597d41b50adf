import { connectAsync, type MqttClient } from 'mqtt';

/**
 * Mosquitto's own message counts (`$SYS/broker/...`, published every `sys_interval` seconds):
 * read before and after a rollout, their difference is the traffic the rollout caused, as the
 * broker saw it, whoever sent it. Mosquitto 2.0 leaves retained PUBLISHes out of
 * `publish/messages/received` (every fleet message is retained), so PUBLISHes in are counted by
 * their senders instead; `messages/received|sent` count every packet, PUBACKs included.
 */

export const SYS_TOPICS = {
  publishSent: '$SYS/broker/publish/messages/sent',
  publishDropped: '$SYS/broker/publish/messages/dropped',
  /** every MQTT packet, PUBACKs and SUBSCRIBEs included */
  packetsReceived: '$SYS/broker/messages/received',
  packetsSent: '$SYS/broker/messages/sent',
  /** gauges: the retained store at the time of reading */
  retainedMessages: '$SYS/broker/retained messages/count',
  storedBytes: '$SYS/broker/store/messages/bytes',
} as const;

export type BrokerCountName = keyof typeof SYS_TOPICS;
export type BrokerCounts = Record<BrokerCountName, number>;

/** The mosquitto.conf line that makes the counts fresh each second. */
export const SYS_INTERVAL_CONFIG = 'sys_interval 1';

export class BrokerCounters {
  private readonly latest = new Map<string, { value: number; at: number }>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const value = Number(payload.toString('utf8'));
      if (Number.isFinite(value)) this.latest.set(topic, { value, at: Date.now() });
    });
  }

  static async open(url: string): Promise<BrokerCounters> {
    const client = await connectAsync(url, { protocolVersion: 5, clean: true, clientId: `c5-fleet-sim-sys-${process.pid}`, connectTimeout: 10_000 });
    const counters = new BrokerCounters(client);
    // The whole $SYS/broker tree: its retained values arrive at once, the exact topics alone did not bring them.
    await client.subscribeAsync('$SYS/broker/#', { qos: 0 });
    return counters;
  }

  /**
   * The counts as the broker publishes them next: waits for each topic to be republished after
   * the call (at most timeoutMs), so traffic before the call is in them.
   */
  async read(timeoutMs = 5_000): Promise<BrokerCounts> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    const fresh = (topic: string): boolean => (this.latest.get(topic)?.at ?? 0) > since;
    // A counter that did not change is not republished; dropped often stays 0, so it is not waited for.
    const waited = [SYS_TOPICS.publishSent, SYS_TOPICS.packetsReceived, SYS_TOPICS.packetsSent];
    while (!waited.every(fresh) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const counts = {} as BrokerCounts;
    for (const [name, topic] of Object.entries(SYS_TOPICS)) counts[name as BrokerCountName] = this.latest.get(topic)?.value ?? 0;
    return counts;
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/** after - before, per count. */
export function countsBetween(before: BrokerCounts, after: BrokerCounts): BrokerCounts {
  const diff = {} as BrokerCounts;
  for (const name of Object.keys(SYS_TOPICS) as BrokerCountName[]) diff[name] = after[name] - before[name];
  return diff;
}
