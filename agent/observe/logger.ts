import pinoPretty from 'pino-pretty';
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { SecretScrubber } from './SecretScrubber.js';

export type { Logger } from 'pino';
// Where they have always been imported from; the redaction itself lives in redactUrl.ts.
export { redactUrl, redactUrlsInText } from './redactUrl.js';

/** `json`: one JSON object a line (machines, journald, log shippers); `pretty`: for people; `auto`: pretty on a terminal. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerSettings {
  level?: string;
  /** write to this stream instead of stdout (tests capture logs with it) */
  destination?: pino.DestinationStream & { readonly isTTY?: boolean };
  /**
   * Removes the exact value of every secret the agent resolved from each finished line, after
   * pino has serialised every field: no field, error message or stack can carry one past it.
   */
  scrubber?: SecretScrubber;
  /** default `auto`: pretty when the destination (stdout unless given) is a terminal, else JSON */
  format?: LogFormat;
}

/** Fields the pretty line shows in its head, or not at all, rather than as `key: value` lines below it. */
const PRETTY_HIDDEN = 'pid,hostname,app,component,camera';

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
    // Runs on the finished JSON line, before any destination sees it, pretty included.
    ...(scrubber ? { hooks: { streamWrite: (line: string) => scrubber.scrub(line) } } : {}),
  };
  const isTTY = settings.destination ? settings.destination.isTTY === true : process.stdout.isTTY === true;
  const format = settings.format ?? 'auto';
  if (format === 'pretty' || (format === 'auto' && isTTY)) {
    const destination = settings.destination ?? pino.destination({ dest: 1, sync: true });
    return pino(options, prettyDestination(destination, isTTY, scrubber));
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/**
 * A synchronous pretty stream: each (already scrubbed) JSON line is formatted and written in the
 * same call, so no line is lost when the process exits and lines stay in order with what the
 * command prints on stdout. pino-pretty's own stream is a transform that writes later. The
 * formatted text is scrubbed once more: pretty output un-escapes strings, and this keeps the
 * guarantee independent of how a value was escaped in the JSON.
 */
function prettyDestination(destination: pino.DestinationStream, colorize: boolean, scrubber: SecretScrubber | undefined): pino.DestinationStream {
  const pretty = pinoPretty.prettyFactory({
    colorize,
    // local time, as the operator's watch shows it; the JSON format keeps epoch ms for machines
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: PRETTY_HIDDEN,
    messageFormat: (log, messageKey) => {
      const where = [log['component'], log['camera']].filter((part) => typeof part === 'string' && part !== '').join(' ');
      const message = typeof log[messageKey] === 'string' ? (log[messageKey] as string) : '';
      return where === '' ? message : `[${where}] ${message}`;
    },
  });
  return {
    write(line: string): void {
      const text = pretty(line);
      destination.write(scrubber ? scrubber.scrub(text) : text);
    },
  };
}
