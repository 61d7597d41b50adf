import { pino, type Logger, type LoggerOptions } from 'pino';
import type { SecretScrubber } from './SecretScrubber.js';

export type { Logger } from 'pino';
// Where they have always been imported from; the redaction itself lives in redactUrl.ts.
export { redactUrl, redactUrlsInText } from './redactUrl.js';

export interface LoggerSettings {
  level?: string;
  /** write to this stream instead of stdout (tests capture logs with it) */
  destination?: pino.DestinationStream;
  /**
   * Removes the exact value of every secret the agent resolved from each finished line, after
   * pino has serialised every field: no field, error message or stack can carry one past it.
   */
  scrubber?: SecretScrubber;
}

/** The one root logger; components take `logger.child({ component, camera })`. */
export function createRootLogger(settings: LoggerSettings = {}): Logger {
  const { scrubber } = settings;
  const options: LoggerOptions = {
    level: settings.level ?? process.env['C5_LOG_LEVEL'] ?? 'info',
    base: { app: 'c5-agent' },
    redact: {
      paths: ['password', '*.password', 'mqtt.password', 'token', '*.token', 'authorization', '*.authorization'],
      censor: 'REDACTED',
    },
    ...(scrubber ? { hooks: { streamWrite: (line: string) => scrubber.scrub(line) } } : {}),
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
