import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { matchWireTopic, type WireChannelId } from '../../pipelines/wire/wireChannels.js';
import { repoRoot } from './paths.js';

/**
 * The MQTT contract as the centre would hold it: `config/asyncapi.yaml`, its payload schemas
 * compiled by ajv (an independent validator, not the zod schemas they came from), once per test
 * process. The capture helpers run every message the agent published through `contractViolation`.
 */

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

export const ASYNCAPI_FILE = join(repoRoot, 'config', 'asyncapi.yaml');

interface ContractChannel {
  readonly action: 'send' | 'receive';
  readonly validate: ValidateFunction;
}

let compiled: ReadonlyMap<string, ContractChannel> | undefined;

function refTarget(document: Record<string, unknown>, ref: string): Record<string, unknown> {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
  if (node === undefined || node === null) throw new Error(`asyncapi.yaml: ${ref} does not resolve`);
  return node as Record<string, unknown>;
}

/** channel id -> the agent's action on it and the compiled payload schema */
export function contractChannels(): ReadonlyMap<string, ContractChannel> {
  if (compiled) return compiled;
  const document = parse(readFileSync(ASYNCAPI_FILE, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const operations = Object.values(document['operations'] as Record<string, { action: 'send' | 'receive'; channel: { $ref: string } }>);
  const channels = new Map<string, ContractChannel>();
  for (const [id, channel] of Object.entries(document['channels'] as Record<string, { messages: Record<string, { $ref: string }> }>)) {
    const operation = operations.find((op) => op.channel.$ref === `#/channels/${id}`);
    if (!operation) throw new Error(`asyncapi.yaml: no operation on channel ${id}`);
    const [messageRef] = Object.values(channel.messages);
    if (!messageRef) throw new Error(`asyncapi.yaml: channel ${id} has no message`);
    const message = refTarget(document, messageRef.$ref);
    const payload = refTarget(document, (message['payload'] as { $ref: string }).$ref);
    channels.set(id, { action: operation.action, validate: ajv.compile(payload) });
  }
  compiled = channels;
  return channels;
}

/**
 * Undefined when the message is not the agent's (a topic outside the contract, or one the agent
 * subscribes to, such as a test's forged push) or when it validates; otherwise a line naming the
 * topic and ajv's errors. An empty payload is a retained message being cleared, not a message.
 */
export function contractViolation(topic: string, raw: Buffer | string): string | undefined {
  const match = matchWireTopic(topic);
  if (!match) return undefined;
  const channel = contractChannels().get(match.channel.id satisfies WireChannelId);
  if (!channel) return `${topic}: channel ${match.channel.id} is missing from config/asyncapi.yaml`;
  if (channel.action !== 'send' || raw.length === 0) return undefined;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return `${topic}: not JSON against the contract's ${match.channel.id} payload: ${JSON.stringify(text.slice(0, 80))}`;
  }
  if (channel.validate(payload)) return undefined;
  const errors = (channel.validate.errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? ''}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`,
  );
  return `${topic}: violates the contract's ${match.channel.id} payload: ${errors.join('; ')}; payload ${text.slice(0, 300)}`;
}
