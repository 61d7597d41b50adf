import { z } from 'zod';
import { secretRef } from './common.js';

/** The MQTT link to the centre's broker cluster. */

export const mqttSchema = z.strictObject({
  /** tried in order; the agent never assumes a single broker host */
  urls: z.array(z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected an mqtt://, mqtts://, ws:// or wss:// URL')).min(1),
  prefix: z
    .string()
    .regex(/^[^#+/](?:[^#+]*[^#+/])?$/, 'expected a topic prefix without wildcards or a leading or trailing "/"')
    .default('c5'),
  /** 5 (MQTT 5, the default); 4 (MQTT 3.1.1) only for brokers that lack 5, such as the demo's */
  protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
  clientId: z.string().min(1).optional(),
  username: secretRef.optional(),
  password: secretRef.optional(),
  keepaliveSeconds: z.number().int().positive().max(3600).default(30),
  reconnectMinSeconds: z.number().positive().default(1),
  reconnectMaxSeconds: z.number().positive().default(30),
});

