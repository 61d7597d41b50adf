import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ortSessionOptions, type OnnxSessionOptions } from '../agent/inference/OnnxDetector.js';
import { timeSessionRuns, warmUpSession } from './timeSessionRuns.js';

/** What bench/ortOnly.ts hands each worker: the model and inputs already converted to tensors' data. */
export interface OrtAloneWorkerData {
  readonly modelPath: string;
  readonly inputName: string;
  readonly dims: readonly number[];
  readonly inputs: readonly Float32Array[];
  readonly sessionOptions: OnnxSessionOptions;
  readonly seconds: number;
}

/** worker to bench: `ready` once the session is warm, then `done` with every run's time */
export type OrtAloneWorkerMessage = { readonly type: 'ready' } | { readonly type: 'done'; readonly times: number[]; readonly elapsedMs: number };

/**
 * One of bench/ortOnly.ts's worker threads: a session of its own, as each of the agent's inference
 * workers has (agent/inference/detectorWorker.ts), running back to back from the `go` message for
 * `seconds`, so that all workers run side by side.
 */
async function main(): Promise<void> {
  const data = workerData as OrtAloneWorkerData;
  const port = parentPort!;
  const session = await ort.InferenceSession.create(
    await readFile(data.modelPath),
    ortSessionOptions(data.sessionOptions, data.sessionOptions.executionProviders),
  );
  const feeds = data.inputs.map((input) => ({ [data.inputName]: new ort.Tensor('float32', input, [...data.dims]) }));
  await warmUpSession(session, feeds);
  const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
  port.postMessage({ type: 'ready' } satisfies OrtAloneWorkerMessage);
  await go;
  const { times, elapsedMs } = await timeSessionRuns(session, feeds, data.seconds);
  await session.release();
  port.postMessage({ type: 'done', times, elapsedMs } satisfies OrtAloneWorkerMessage);
}

await main();
