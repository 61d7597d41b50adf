import { describe, expect, it } from 'vitest';
import { labelError } from '../../../../agent/config/checkSiteConfig.js';
import { loadModelLabels } from '../../../../agent/config/loadModelLabels.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';

/** What the agent's own loads (start, push) would call: every registry model's labels, read once. */
describe('labelError with loadModelLabels', () => {
  it("reads every registry model's labels by default: yolox-nano's 80 COCO classes", async () => {
    const models = await loadModelLabels();
    const coco = models.get('yolox-nano')!.labels;
    expect(coco).toHaveLength(80);
    // first, middle and last lines of models/labels/coco80.txt, read by hand
    expect([coco[0], coco[3], coco[9], coco[79]]).toEqual(['person', 'motorcycle', 'traffic light', 'toothbrush']);
  });

  it('is undefined for a config whose labels all exist, a ConfigError naming the field otherwise', async () => {
    const models = await loadModelLabels();
    const config = (labels: string[]) => {
      const result = parseSiteConfig({
        version: 1,
        site: { id: 's' },
        mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
        cameras: [{ id: 'c', source: { url: 'x' }, rules: [{ id: 'r', type: 'object_present', labels }] }],
      });
      if (!result.ok) throw new Error(result.errors.join('\n'));
      return result.config;
    };
    expect(labelError(config(['person', 'toothbrush']), 'site.yaml', models)).toBeUndefined();
    const error = labelError(config(['person', 'Truck']), 'site.yaml', models);
    expect(error?.code).toBe('config_invalid');
    expect(error?.message).toBe(
      'site.yaml: invalid site config:\n  cameras[0].rules[0].labels[1]: "Truck" is not a label of model yolox-nano; did you mean "truck"?',
    );
  });
});
