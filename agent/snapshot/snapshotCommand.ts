import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cameraSchema, type CameraConfig } from '../../pipelines/config/siteConfig.js';
import { sessionSettingsFor } from '../../pipelines/config/inferenceSchema.js';
import { AgentError } from '../../pipelines/errors.js';
import type { Detector } from '../../pipelines/stages.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import type { CommandIo } from '../cli/CommandIo.js';
import { EXIT } from '../cli/exitCodes.js';
import { loadSiteConfigFile } from '../config/loadSiteConfig.js';
import { resolveSecret } from '../config/resolveSecret.js';
import { writeFileAtomic } from '../fleet/FleetStateStore.js';
import { loadDetector } from '../inference/loadDetector.js';
import type { HardwareDecoding } from '../ingest/HardwareDecoding.js';
import { hardwareDecodingFor } from '../ingest/hardwareDecodingFor.js';
import { resolveFfmpegPath } from '../ingest/resolveFfmpegPath.js';
import { redactUrl, redactUrlsInText } from '../observe/logger.js';
import { drawOverlay } from './drawOverlay.js';
import { grabFrame, type GrabResult } from './grabFrame.js';
import { SnapshotAnalysis } from './SnapshotAnalysis.js';

export interface SnapshotOptions {
  /** the site config; may be left out with `input` (nothing is drawn then, and --detect uses the default model) */
  readonly config?: string | undefined;
  /** may be left out when the config has one camera */
  readonly camera?: string | undefined;
  /** the PNG to write; replaced atomically if it exists */
  readonly out: string;
  /** a recorded clip or image instead of the camera */
  readonly input?: string | undefined;
  /** with `input`: seconds into the clip */
  readonly at?: number | undefined;
  /** detect and track over this many seconds before the frame; true: DEFAULT_DETECT_SECONDS */
  readonly detect?: boolean | number | undefined;
  /** seconds to wait for the frame; default DEFAULT_SNAPSHOT_TIMEOUT_SECONDS */
  readonly timeout?: number | undefined;
}

export const DEFAULT_SNAPSHOT_TIMEOUT_SECONDS = 15;
export const DEFAULT_DETECT_SECONDS = 3;
const MAX_DETECT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 600;
/** frames analysed at most, whatever analyticsFps x seconds asks: bounds memory and time */
const MAX_ANALYSIS_FRAMES = 150;

/**
 * `c5-agent snapshot`: one current frame of a camera, opened through the camera's own ffmpeg
 * settings, with its zones, lines (and their `in` arrows) and privacy masks drawn on it, and with
 * `--detect` what the detector and tracker see; written to a local PNG. It publishes nothing and
 * opens no MQTT connection. Exit 0 written, 1 the camera (or clip) could not be read, 2 usage
 * (thrown as AgentError 'usage').
 */
export async function snapshotCommand(options: SnapshotOptions, io: CommandIo): Promise<number> {
  const request = checkOptions(options);
  const { camera, configPath, sourceUrl, ffmpegConfigured, inference } = loadCamera(options, io.env);
  const logger = io.logger.child({ component: 'snapshot', camera: camera.id });
  const ffmpegPath = resolveFfmpegPath({ configured: ffmpegConfigured, env: io.env, logger });

  let detector: Detector | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'c5-snapshot-'));
  try {
    let analysis: SnapshotAnalysis | undefined;
    let frames = 0;
    let seekSeconds = request.at;
    if (request.detectSeconds !== undefined) {
      detector = await loadDetector({
        name: camera.model,
        env: io.env,
        sessionOptions: inference ? sessionSettingsFor(inference, camera.model) : undefined,
        logger: logger.child({ component: 'inference' }),
      });
      analysis = new SnapshotAnalysis(camera, detector);
      // a clip: the window that ends at --at; a camera: the next seconds of its stream
      const window = request.at === undefined ? request.detectSeconds : Math.min(request.detectSeconds, request.at);
      frames = Math.min(MAX_ANALYSIS_FRAMES, Math.max(1, Math.round(window * camera.analyticsFps)));
      if (request.at !== undefined) seekSeconds = Math.max(0, request.at - window);
    }
    const timeoutMs = (request.timeoutSeconds + 2 * (request.detectSeconds ?? 0)) * 1000;
    const grab = (hwDecode: HardwareDecoding | undefined): Promise<GrabResult> =>
      grabFrame({
        camera,
        sourceUrl,
        ffmpegPath,
        hwDecode: hwDecode?.plan,
        seekSeconds,
        timeoutMs,
        workDir,
        analysis:
          analysis && detector
            ? { inputWidth: detector.model.inputWidth, inputHeight: detector.model.inputHeight, frames, onFrame: analysis.onFrame }
            : undefined,
        logger,
      });

    // A live camera is decoded as the agent decodes it, hardware preset included; a recording in software, as replay does.
    const hw = request.input === undefined ? await hardwareDecodingFor(camera, ffmpegPath, logger) : undefined;
    const plan = hw?.plan;
    let grabbed = await grab(hw);
    if (!grabbed.ok && plan && hw?.onFailedStart(plan, grabbed)) {
      analysis = analysis && detector ? new SnapshotAnalysis(camera, detector) : undefined;
      grabbed = await grab(hw);
    }
    if (!grabbed.ok) {
      const what = request.input === undefined ? `camera ${camera.id} (${redactUrl(sourceUrl)})` : `input ${quoteUntrusted(request.input, 200)}`;
      // the detail quotes ffmpeg, which quotes the camera: escaped, so a hostile peer cannot write to the terminal
      const why = quoteUntrusted(redactUrlsInText(grabbed.failure.detail), 300);
      io.err.write(redactUrlsInText(`snapshot: cannot read ${what}: ${grabbed.failure.reason}: ${why}\n`));
      return EXIT.failure;
    }

    const objects = analysis?.objects();
    const drawn = await drawOverlay(grabbed.png, { zones: camera.zones, lines: camera.lines, masks: camera.privacyMasks, objects });
    await writeFileAtomic(request.out, drawn.png);
    const source = request.input === undefined ? redactUrl(sourceUrl) : quoteUntrusted(request.input, 200);
    const drawnCounts = `${camera.zones.length} zones, ${camera.lines.length} lines, ${camera.privacyMasks.length} privacy masks`;
    const detected = objects
      ? `; ${objects.length} objects in the last of ${grabbed.analysedFrames} frames (${objects.filter((o) => o.trackId !== undefined).length} tracked) by ${camera.model}`
      : '';
    const at = request.at === undefined ? '' : ` at ${request.at} s`;
    const from = configPath ? `camera ${camera.id} of ${configPath}, ` : '';
    io.out.write(redactUrlsInText(`snapshot: ${from}${source}${at}: ${drawn.width}x${drawn.height}, ${drawnCounts}${detected}; written to ${request.out}\n`));
    return EXIT.ok;
  } finally {
    await detector?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface SnapshotRequest {
  readonly out: string;
  readonly input?: string;
  readonly at?: number;
  readonly detectSeconds?: number;
  readonly timeoutSeconds: number;
}

/** Every argument check that needs no file read beyond a stat: a bad one is a usage error, before any camera is opened. */
function checkOptions(options: SnapshotOptions): SnapshotRequest {
  const usage = (message: string): AgentError => new AgentError('usage', message);
  if (!options.config && !options.input) throw usage('snapshot needs --config site.yaml (with --camera ID when it has several cameras), or --input FILE');
  if (!options.out) throw usage('snapshot needs --out FILE.png');
  if (!/\.png$/i.test(options.out)) throw usage(`--out must name a .png file, got ${quoteUntrusted(options.out, 200)}`);
  const out = resolve(options.out);
  if (existsSync(out) && statSync(out).isDirectory())
    throw usage(`--out ${quoteUntrusted(options.out, 200)} is a directory; name a file in it, such as ${join(options.out, 'snapshot.png')}`);
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory())
    throw usage(`--out: the folder ${quoteUntrusted(dirname(options.out), 200)} does not exist`);
  if (options.camera !== undefined && !options.config) throw usage('--camera needs --config: the camera is looked up in the site config');
  if (options.at !== undefined && options.input === undefined) throw usage('--at needs --input: a live camera has no timeline to seek in');
  if (options.at !== undefined && !(Number.isFinite(options.at) && options.at >= 0)) throw usage(`--at must be 0 or more seconds, got ${String(options.at)}`);
  if (options.input !== undefined && !existsSync(options.input)) throw usage(`--input ${quoteUntrusted(options.input, 200)} does not exist`);
  const timeoutSeconds = options.timeout ?? DEFAULT_SNAPSHOT_TIMEOUT_SECONDS;
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    throw usage(`--timeout must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds, got ${String(options.timeout)}`);
  }
  let detectSeconds: number | undefined;
  if (options.detect === true) detectSeconds = DEFAULT_DETECT_SECONDS;
  else if (typeof options.detect === 'number') detectSeconds = options.detect;
  if (detectSeconds !== undefined && !(Number.isFinite(detectSeconds) && detectSeconds > 0 && detectSeconds <= MAX_DETECT_SECONDS)) {
    throw usage(`--detect takes more than 0 and at most ${MAX_DETECT_SECONDS} seconds, got ${String(options.detect)}`);
  }
  return {
    out,
    timeoutSeconds,
    ...(options.input === undefined ? {} : { input: resolve(options.input) }),
    ...(options.at === undefined ? {} : { at: options.at }),
    ...(detectSeconds === undefined ? {} : { detectSeconds }),
  };
}

interface SnapshotCamera {
  readonly camera: CameraConfig;
  readonly configPath?: string;
  /** resolved: may carry credentials */
  readonly sourceUrl: string;
  readonly ffmpegConfigured?: string | undefined;
  readonly inference?: Parameters<typeof sessionSettingsFor>[0];
}

/**
 * The camera to draw and where to read it. Only this camera's URL is resolved, with the agent's
 * own resolveSecret (a snapshot needs no MQTT password), and none at all with --input. Without
 * --config the camera is the schema's defaults: nothing to draw, the default model to detect with.
 */
function loadCamera(options: SnapshotOptions, env: NodeJS.ProcessEnv): SnapshotCamera {
  const input = options.input === undefined ? undefined : resolve(options.input);
  if (!options.config) {
    return { camera: cameraSchema.parse({ id: 'input', source: { url: input } }), sourceUrl: input! };
  }
  const { config } = loadSiteConfigFile(options.config, env, { resolveSecrets: false });
  const ids = config.cameras.map((camera) => camera.id);
  let index = 0;
  if (options.camera !== undefined) {
    index = ids.indexOf(options.camera);
    if (index < 0) throw new AgentError('usage', `no camera ${quoteUntrusted(options.camera)} in ${options.config}; cameras: ${ids.join(', ')}`);
  } else if (ids.length !== 1) {
    throw new AgentError('usage', `${options.config} has ${ids.length} cameras; choose one with --camera (${ids.join(', ')})`);
  }
  const camera = config.cameras[index]!;
  const sourceUrl = input ?? resolveSecret(camera.source.url, `cameras[${index}].source.url`, env);
  return { camera, configPath: options.config, sourceUrl, ffmpegConfigured: config.ffmpegPath, inference: config.inference };
}
