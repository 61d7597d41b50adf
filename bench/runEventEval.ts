import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSiteConfigFile } from '../agent/config/loadSiteConfig.js';
import { resolveFfmpegPath } from '../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../agent/observe/logger.js';
import { runReplay } from '../agent/replay/runReplay.js';
import { benchEnv } from './benchEnv.js';
import {
  clipDuplicates,
  evaluateScene,
  MATCH_IOU,
  MIN_VISIBILITY,
  RULE_TYPES_EVALUATED,
  TOLERANCE_SECONDS,
  type SceneEvaluation,
} from './eval/evaluateScene.js';
import { sumTrackingMetrics } from './eval/trackingMetrics.js';
import { switchesPerTenCrossings } from './eval/truthCrossings.js';
import { buildScenes, type SceneTruth } from './scenes/buildScenes.js';
import { SCENES } from './scenes/sceneScripts.js';
import { formatTable } from './table.js';

/**
 * `npm run eval:events`: the real `replay` on each generated scene (generated first when missing),
 * scored against the scene's truth: tracking (IDF1, MOTA, id switches), per rule type event
 * precision and recall within TOLERANCE_SECONDS, duplicate events; then duplicates on the shared
 * plaza clip under config/examples/demo.yaml. Prints tables; writes `bench/events.json`.
 */

const { values } = parseArgs({
  options: {
    scenes: { type: 'string' },
    regenerate: { type: 'boolean', default: false },
    seed: { type: 'string', default: '16' },
    json: { type: 'string' },
    'skip-clip': { type: 'boolean', default: false },
  },
});

const say = (text: string): void => void process.stderr.write(`eval:events: ${text}\n`);
const { root, clipPath, env } = benchEnv();
const logger = createRootLogger({ level: 'warn' });
const scenesDir = values.scenes ?? join(root, 'bench', 'out', 'scenes');
const workDir = join(root, 'bench', 'out', 'eval');
const jsonPath = values.json ?? join(root, 'bench', 'events.json');
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed > 1_000_000)
  throw new Error(`--seed ${JSON.stringify(values.seed)}: expected a whole number from 0 to 1000000`);
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const sceneFiles = (id: string): { clip: string; config: string; truth: string } => ({
  clip: join(scenesDir, id, 'clip.avi'),
  config: join(scenesDir, id, 'site.yaml'),
  truth: join(scenesDir, id, 'truth.json'),
});
const missing = SCENES.filter((scene) => !Object.values(sceneFiles(scene.id)).every((path) => existsSync(path)));
if (values.regenerate || missing.length > 0) {
  say(`generating scenes in ${scenesDir}`);
  await buildScenes({ ffmpegPath: resolveFfmpegPath({ env, logger }), clipPath, outDir: scenesDir, seed, env, logger });
}

function commitOf(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'agent', 'pipelines'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
    return { commit, dirty };
  } catch (error) {
    // Not a git checkout (a copied tree): the figures stand without a commit.
    say(`no git commit to name (${(error as Error).message.split('\n')[0]})`);
    return { commit: 'unknown', dirty: false };
  }
}

mkdirSync(workDir, { recursive: true });
const evaluations: SceneEvaluation[] = [];
for (const scene of SCENES) {
  const files = sceneFiles(scene.id);
  const decisions = join(workDir, `${scene.id}.decisions.jsonl`);
  const tracks = join(workDir, `${scene.id}.tracks.jsonl`);
  const summary = await runReplay({
    configPath: files.config,
    input: files.clip,
    out: decisions,
    tracksOut: tracks,
    startTime: 0,
    env,
    logger,
    version,
    progress: null,
  });
  if (summary.failed > 0 || summary.dropped > 0) throw new Error(`replay of scene ${scene.id}: ${summary.failed} frames failed, ${summary.dropped} dropped`);
  const truth = JSON.parse(readFileSync(files.truth, 'utf8')) as SceneTruth;
  if (summary.frames !== truth.frames.length) throw new Error(`scene ${scene.id}: replay saw ${summary.frames} frames, the truth has ${truth.frames.length}`);
  evaluations.push(evaluateScene(truth, decisions, tracks));
  say(`${scene.id}: ${summary.frames} frames in ${summary.seconds.toFixed(1)} s`);
}

// The shared clip has no truth: duplicates only (two events of one rule for one object on screen).
let shared: { duplicates: number; pairs: ReturnType<typeof clipDuplicates>; alerts: number; frames: number } | undefined;
if (!values['skip-clip']) {
  const configPath = join(root, 'config', 'examples', 'demo.yaml');
  const camera = loadSiteConfigFile(configPath, env, { resolveSecrets: false }).config.cameras[0]!;
  const decisions = join(workDir, 'plaza.decisions.jsonl');
  const tracks = join(workDir, 'plaza.tracks.jsonl');
  const summary = await runReplay({ configPath, input: clipPath, out: decisions, tracksOut: tracks, startTime: 0, env, logger, version, progress: null });
  // One second of frames at the camera's analytics rate.
  const pairs = clipDuplicates(decisions, tracks, new Map(camera.rules.map((r) => [r.id, r.type])), Math.max(1, Math.round(camera.analyticsFps)));
  shared = { duplicates: pairs.length, pairs, alerts: summary.alerts, frames: summary.frames };
  say(`shared clip: ${summary.frames} frames in ${summary.seconds.toFixed(1)} s`);
}

const f2 = (v: number): string => v.toFixed(2);
const pr = (r: { precision: number; recall: number; truth: number; predicted: number }): string =>
  r.truth === 0 && r.predicted === 0 ? '-' : `${f2(r.precision)}/${f2(r.recall)}`;
const total = sumTrackingMetrics(evaluations.map((e) => e.tracking));
const totalEvents = Object.fromEntries(
  RULE_TYPES_EVALUATED.map((type) => {
    const sum = (key: 'truth' | 'predicted' | 'matched'): number => evaluations.reduce((s, e) => s + e.events[type][key], 0);
    const truth = sum('truth');
    const predicted = sum('predicted');
    const matched = sum('matched');
    const errorSum = evaluations.reduce((s, e) => s + e.events[type].meanAbsError * e.events[type].matched, 0);
    return [
      type,
      {
        truth,
        predicted,
        matched,
        precision: predicted === 0 ? (truth === 0 ? 1 : 0) : matched / predicted,
        recall: truth === 0 ? 1 : matched / truth,
        meanAbsError: matched === 0 ? 0 : errorSum / matched,
      },
    ];
  }),
) as Record<(typeof RULE_TYPES_EVALUATED)[number], SceneEvaluation['events'][(typeof RULE_TYPES_EVALUATED)[number]]>;
const duplicates = evaluations.reduce((s, e) => s + e.duplicates, 0);
const crossings = evaluations.reduce((s, e) => s + e.crossings, 0);
const perTen = (v: number | null): string => (v === null ? '-' : v.toFixed(1));

const header = [
  'scene',
  'IDF1',
  'MOTA',
  'IDsw',
  'crossings',
  'IDsw/10 cr',
  'FP',
  'FN',
  'ids gt/trk',
  'line P/R',
  'zone P/R',
  'loiter P/R',
  'crowd P/R',
  'vehicle P/R',
  'dup',
];
const row = (name: string, t: typeof total, events: SceneEvaluation['events'], dup: number, crossed: number): string[] => [
  name,
  f2(t.idf1),
  f2(t.mota),
  String(t.idSwitches),
  String(crossed),
  perTen(switchesPerTenCrossings(t.idSwitches, crossed)),
  String(t.falsePositives),
  String(t.misses),
  `${t.truthIds}/${t.trackIds}`,
  ...RULE_TYPES_EVALUATED.map((type) => pr(events[type])),
  String(dup),
];
process.stdout.write(
  `${formatTable([header, ...evaluations.map((e) => row(e.scene, e.tracking, e.events, e.duplicates, e.crossings)), row('total', total, totalEvents, duplicates, crossings)])}\n\n`,
);
process.stdout.write(
  `${formatTable([
    ['rule type', 'truth', 'agent', 'matched', 'precision', 'recall', 'mean |dt| s', 'tolerance s'],
    ...RULE_TYPES_EVALUATED.map((type) => {
      const r = totalEvents[type];
      return [type, String(r.truth), String(r.predicted), String(r.matched), f2(r.precision), f2(r.recall), f2(r.meanAbsError), `±${TOLERANCE_SECONDS[type]}`];
    }),
  ])}\n`,
);
if (shared)
  process.stdout.write(
    `\nshared clip (demo.yaml, ${shared.frames} frames): ${shared.alerts} alerts, ${shared.duplicates} duplicate event pairs (IoU >= 0.7 for >= 1 s)\n`,
  );
const { commit, dirty } = commitOf();
process.stdout.write(
  `\ncommit ${commit}${dirty ? ' (agent/ or pipelines/ modified)' : ''}; tracks and truth matched at IoU >= ${MATCH_IOU}, truth boxes visible >= ${MIN_VISIBILITY}; ` +
    `a crossing: two people's truth boxes overlapping, both at least ${MIN_VISIBILITY} visible on one of its frames, once per pair per overlap\n`,
);

writeFileSync(
  jsonPath,
  `${JSON.stringify(
    {
      commit,
      dirty,
      matchIou: MATCH_IOU,
      minVisibility: MIN_VISIBILITY,
      toleranceSeconds: TOLERANCE_SECONDS,
      total: { tracking: total, crossings, idSwitchesPerTenCrossings: switchesPerTenCrossings(total.idSwitches, crossings), events: totalEvents, duplicates },
      scenes: evaluations,
      sharedClip: shared ?? null,
    },
    null,
    2,
  )}\n`,
);
say(`wrote ${jsonPath}`);
