import { collectMqtt, type CollectedMessage } from './mqttCollector.js';

/**
 * What a subscriber arriving now reads from the broker's retained store on these topics (one
 * filter may match several): a fresh MQTT 5 session subscribes, keeps what comes within
 * settleMs (retained messages are sent right after SUBACK), and leaves.
 */
export async function readRetained(brokerUrl: string, filter: string, settleMs = 1_000): Promise<CollectedMessage[]> {
  const late = await collectMqtt({ url: brokerUrl, topics: [filter] });
  try {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return late.messages.filter((message) => message.retain);
  } finally {
    await late.close();
  }
}
