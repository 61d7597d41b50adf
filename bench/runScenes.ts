import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveFfmpegPath } from '../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../agent/observe/logger.js';
import { benchEnv } from './benchEnv.js';
import { buildScenes } from './scenes/buildScenes.js';
import { SCENES } from './scenes/sceneScripts.js';
import { formatTable } from './table.js';

/**
 * `npm run scenes [-- --seed N --out DIR --only a,b]`: builds the test scenes (bench/scenes/)
 * from the shared plaza clip: per scene a clip, its site config and its ground truth, under
 * `bench/out/scenes/` by default. Prints one line per scene.
 */

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '16' },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});

const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed > 1_000_000)
  throw new Error(`--seed ${JSON.stringify(values.seed)}: expected a whole number from 0 to 1000000`);
const only = values.only?.split(',').filter((id) => id !== '');
const unknown = only?.filter((id) => !SCENES.some((scene) => scene.id === id)) ?? [];
if (unknown.length > 0) throw new Error(`--only: no scene ${unknown.join(', ')}; scenes: ${SCENES.map((s) => s.id).join(', ')}`);

const { root, clipPath, env } = benchEnv();
const logger = createRootLogger({ level: 'warn' });
const outDir = values.out ?? join(root, 'bench', 'out', 'scenes');
const started = performance.now();
const built = await buildScenes({ ffmpegPath: resolveFfmpegPath({ env, logger }), clipPath, outDir, seed, env, logger, only });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${formatTable([['scene', 'frames', 'people', 'truth events', 'clip'], ...built.map((s) => [s.id, String(s.frames), String(s.actors), String(s.events), s.clip])])}\n`,
);
process.stdout.write(`scenes: ${built.length} scenes in ${outDir} (seed ${seed}) in ${seconds.toFixed(1)} s\n`);
