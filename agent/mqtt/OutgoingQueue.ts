import type { PublishProperties } from '../MessagePublisher.js';

export interface OutgoingMessage {
  readonly topic: string;
  readonly payload: string | Buffer;
  readonly retain: boolean;
  readonly properties: PublishProperties | undefined;
  /** birth and status re-publishes: rebuilt on every connect, never counted against the limit */
  readonly internal: boolean;
}

/** What became of one hand-over: acknowledged, finally failed, or to be sent again. */
export type AckOutcome = { readonly ok: true } | { readonly ok: false; readonly error: Error } | { readonly retry: true };

export interface OutgoingQueueDeps {
  /** how many QoS 1 messages may be awaiting PUBACK right now (0 while disconnected) */
  window(): number;
  send(message: OutgoingMessage, done: (outcome: AckOutcome) => void): void;
}

interface Pending {
  readonly message: OutgoingMessage;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * QoS 1 bookkeeping for the MQTT link: messages waiting for a connection (`held`) and messages
 * handed to MQTT.js awaiting PUBACK (`inflight`). Each has a promise that settles exactly once.
 */
export class OutgoingQueue {
  private readonly deps: OutgoingQueueDeps;
  private readonly held: Pending[] = [];
  private readonly inflight = new Set<Pending>();
  private userCount = 0;

  constructor(deps: OutgoingQueueDeps) {
    this.deps = deps;
  }

  get heldCount(): number {
    return this.held.length;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** non-internal messages held or in flight: what the memory bound applies to */
  get userPending(): number {
    return this.userCount;
  }

  get isEmpty(): boolean {
    return this.held.length === 0 && this.inflight.size === 0;
  }

  /** Resolves on PUBACK; `front` puts it ahead of everything held (status before backlog). */
  add(message: OutgoingMessage, front = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { message, settled: false, resolve, reject };
      if (!message.internal) this.userCount += 1;
      if (front) this.held.unshift(pending);
      else this.held.push(pending);
      this.pump();
    });
  }

  /** Hands held messages over while the window allows. */
  pump(): void {
    while (this.held.length > 0 && this.inflight.size < this.deps.window()) {
      const pending = this.held.shift() as Pending;
      this.inflight.add(pending);
      this.deps.send(pending.message, (outcome) => this.ack(pending, outcome));
    }
  }

  /** Held internal messages are stale once the connection they were meant for is gone. */
  dropHeldInternal(): void {
    for (let i = this.held.length - 1; i >= 0; i -= 1) {
      const pending = this.held[i];
      if (!pending?.message.internal) continue;
      this.held.splice(i, 1);
      this.settle(pending);
    }
  }

  /** Rejects everything still held or in flight; returns how many there were. */
  failAll(errorFor: (message: OutgoingMessage) => Error): number {
    const all = [...this.held, ...this.inflight];
    this.held.length = 0;
    this.inflight.clear();
    for (const pending of all) this.settle(pending, errorFor(pending.message));
    return all.length;
  }

  private ack(pending: Pending, outcome: AckOutcome): void {
    // Already settled by failAll(): the late callback from MQTT.js changes nothing.
    if (!this.inflight.delete(pending) || pending.settled) return;
    if ('retry' in outcome) this.held.unshift(pending);
    else if (outcome.ok) this.settle(pending);
    else this.settle(pending, outcome.error);
    this.pump();
  }

  private settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (!pending.message.internal) this.userCount -= 1;
    if (error) pending.reject(error);
    else pending.resolve();
  }
}
