import { backoffDelayMs } from '../backoff.js';
import type { Clock, Timer } from '../clock.js';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import type { BrokerEndpoint } from './mqttWire.js';

export interface BrokerFailoverDeps {
  readonly endpoints: readonly BrokerEndpoint[];
  readonly config: Pick<SiteConfig['mqtt'], 'reconnectMinSeconds' | 'reconnectMaxSeconds'>;
  readonly clock: Clock;
  readonly random?: () => number;
}

/**
 * Which broker URL the link tries next, and when: MQTT.js alone only knows one URL and a fixed
 * period. Delays grow with consecutive failures (jittered) and start over after a CONNACK.
 */
export class BrokerFailover {
  private readonly deps: BrokerFailoverDeps;
  private index = 0;
  private failures = 0;
  private timer: Timer | null = null;

  constructor(deps: BrokerFailoverDeps) {
    this.deps = deps;
  }

  get current(): BrokerEndpoint | undefined {
    return this.deps.endpoints[this.index];
  }

  /** 1 for the first attempt after a CONNACK (or ever), counting up while they fail */
  get attempt(): number {
    return this.failures + 1;
  }

  connected(): void {
    this.failures = 0;
  }

  /** Only for an attempt that never connected: a lost connection retries the broker that worked. */
  attemptFailed(): void {
    this.index = (this.index + 1) % this.deps.endpoints.length;
  }

  /** Runs `retry` after the backoff delay and returns the delay; null, scheduling nothing, while a retry is pending. */
  schedule(retry: () => void): number | null {
    if (this.timer) return null;
    const { reconnectMinSeconds, reconnectMaxSeconds } = this.deps.config;
    const delayMs = backoffDelayMs(this.failures, reconnectMinSeconds * 1000, reconnectMaxSeconds * 1000, this.deps.random);
    this.failures += 1;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      retry();
    }, delayMs);
    return delayMs;
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
