import { formatIssues } from '../../pipelines/config/formatIssues.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import { matchWireTopic, type WireChannelId } from '../../pipelines/wire/wireChannels.js';

/**
 * One MQTT message read as the centre must read it: bounded in size, parsed, validated against
 * the contract's zod schema (the same schemas config/asyncapi.yaml is generated from), and checked
 * against its own topic. Everything in it is an outsider's: errors echo at most a short quoted
 * prefix, and the work is linear in the payload.
 */

/** Far above any message the agent sends (a stats message of a 64-camera site is ~10 KB). */
export const MAX_WIRE_MESSAGE_BYTES = 256 * 1024;

export type WireProblem = 'unknown_topic' | 'too_large' | 'not_json' | 'invalid' | 'topic_mismatch';

export type WireReading =
  | {
      readonly ok: true;
      readonly channel: WireChannelId;
      readonly siteId: string;
      readonly cameraId?: string;
      readonly message: Record<string, unknown>;
    }
  | { readonly ok: false; readonly channel: WireChannelId | undefined; readonly problem: WireProblem; readonly detail: string };

export function readWireMessage(topic: string, payload: Buffer, prefix: string): WireReading {
  const match = matchWireTopic(topic, prefix);
  if (!match) return { ok: false, channel: undefined, problem: 'unknown_topic', detail: `no channel of the contract under prefix ${quoteUntrusted(prefix)}` };
  const channel = match.channel.id;
  const fail = (problem: WireProblem, detail: string): WireReading => ({ ok: false, channel, problem, detail });
  if (payload.length > MAX_WIRE_MESSAGE_BYTES) return fail('too_large', `${payload.length} bytes, more than ${MAX_WIRE_MESSAGE_BYTES}`);
  const text = payload.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input; say how it starts instead
    return fail('not_json', `not JSON: starts ${quoteUntrusted(text)}`);
  }
  const parsed = match.channel.message.schema.safeParse(document);
  if (!parsed.success) return fail('invalid', formatIssues(parsed.error.issues, document).join('; '));
  const message = parsed.data as Record<string, unknown>;
  // A message about another site or camera than its topic names would be filed under the wrong one.
  const siteField = channel === 'cameraStatus' ? undefined : message['siteId'];
  if (siteField !== undefined && siteField !== match.siteId)
    return fail('topic_mismatch', `siteId ${quoteUntrusted(String(siteField))} on the topic of site ${quoteUntrusted(match.siteId)}`);
  const cameraField = channel === 'alerts' || channel === 'cameraStatus' ? message['cameraId'] : undefined;
  if (cameraField !== undefined && cameraField !== match.cameraId) {
    return fail('topic_mismatch', `cameraId ${quoteUntrusted(String(cameraField))} on the topic of camera ${quoteUntrusted(match.cameraId ?? '')}`);
  }
  return { ok: true, channel, siteId: match.siteId, ...(match.cameraId === undefined ? {} : { cameraId: match.cameraId }), message };
}
