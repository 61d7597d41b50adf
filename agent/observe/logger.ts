import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

const SECRET_QUERY_KEYS = /^(pass(word)?|pwd|token|secret|key|auth|signature|sig)$/i;

/**
 * Camera URLs routinely carry credentials (rtsp://user:pass@host/..., ?token=...). Every URL the
 * agent logs or publishes goes through here; unparseable input is still scrubbed of
 * `user:pass@` so a malformed URL cannot leak a password.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username) url.username = 'REDACTED';
    if (url.password) url.password = 'REDACTED';
    for (const key of [...url.searchParams.keys()]) {
      if (SECRET_QUERY_KEYS.test(key)) url.searchParams.set(key, 'REDACTED');
    }
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^/@\s]*@/g, '//REDACTED@');
  }
}

/** Scrubs credentials from every URL found inside free text (ffmpeg's stderr quotes its input URL). */
export function redactUrlsInText(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (match) => redactUrl(match));
}

export interface LoggerSettings {
  level?: string;
  /** write to this stream instead of stdout (tests capture logs with it) */
  destination?: pino.DestinationStream;
}

/** The one root logger; components take `logger.child({ component, camera })`. */
export function createRootLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env['C5_LOG_LEVEL'] ?? 'info',
    base: { app: 'c5-agent' },
    redact: {
      paths: ['password', '*.password', 'mqtt.password', 'token', '*.token', 'authorization', '*.authorization'],
      censor: 'REDACTED',
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
