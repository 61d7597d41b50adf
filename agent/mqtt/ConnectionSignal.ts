import { PublishError, toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { Logger } from '../observe/logger.js';

export type ConnectionListener = (connected: boolean) => void;

export interface ConnectionSignalDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Pick<AgentMetrics, 'mqttConnected'>;
  /** why the link is not connected, for the `connect_timeout` error; null when nothing failed yet */
  lastError(): string | null;
}

/** Whether the link is connected, kept in the gauge and told to everything that waits on it. */
export class ConnectionSignal {
  private readonly deps: ConnectionSignalDeps;
  private readonly listeners = new Set<ConnectionListener>();
  private isConnected = false;

  constructor(deps: ConnectionSignalDeps) {
    this.deps = deps;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Listeners hear only changes; one that throws is logged and does not keep the others from hearing. */
  set(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    this.deps.metrics?.mqttConnected.set(connected ? 1 : 0);
    for (const listener of this.listeners) {
      try {
        listener(connected);
      } catch (error) {
        this.deps.log.error({ err: toError(error) }, 'connection listener threw');
      }
    }
  }

  /** Returns an unsubscribe function. */
  onChange(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected; rejects with code `connect_timeout` after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        off();
        reject(new PublishError('connect_timeout', `not connected to any broker within ${timeoutMs} ms (${this.deps.lastError() ?? 'no error yet'})`));
      }, timeoutMs);
      const off = this.onChange((up) => {
        if (!up) return;
        off();
        timer.cancel();
        resolve();
      });
    });
  }
}
