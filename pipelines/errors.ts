/**
 * Every error the agent raises on purpose carries a stable string `code`, so logs, status
 * messages and tests can branch on it without parsing prose. One subclass per area.
 */
export class AgentError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad site config: the message names the path, the value received and what was expected. */
export class ConfigError extends AgentError {}

/** ffmpeg missing, a camera that cannot be opened, a stream that stops. */
export class IngestError extends AgentError {}

/** Model not found, digest mismatch, ONNX Runtime failure, unexpected output shape. */
export class ModelError extends AgentError {}

/** Broker unreachable, publish refused. */
export class PublishError extends AgentError {}

/** The metrics and health endpoint could not start (port in use, bad host). */
export class ObserveError extends AgentError {}

/** Turns anything thrown into an Error, so abort reasons and log fields are always Errors. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
