import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../../../agent/cli/CommandIo.js';
import { exitCodeFor } from '../../../../agent/cli/exitCodes.js';
import { validateCommand, type ValidateOptions } from '../../../../agent/config/validateCommand.js';
import { generateSigningKey, readPrivateKey, signEnvelope } from '../../../../agent/fleet/signing.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { AgentError } from '../../../../pipelines/errors.js';

/** `config validate` in-process: labels against the model, pixel hints, warnings, --no-secrets. */

const dir = mkdtempSync(join(tmpdir(), 'c5-validate-'));

function write(name: string, cameras: string, head = 'mqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n'): string {
  const path = join(dir, name);
  writeFileSync(path, `version: 3\nsite: { id: lot }\n${head}cameras:\n${cameras}`);
  return path;
}

interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly error?: AgentError;
}

async function validate(options: ValidateOptions, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    env,
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
    logger: createRootLogger({ level: 'silent' }),
    version: '0.0.0-test',
  };
  try {
    return { code: await validateCommand(options, io), out, err };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return { code: exitCodeFor(error), out, err, error };
  }
}

const RULES_ON = (labels: string): string =>
  `  - id: gate\n    source: { url: "rtsp://10.0.0.5/gate" }\n    rules:\n` +
  `      - { id: cars, type: object_present, labels: [car] }\n` +
  `      - { id: people, type: object_present, labels: [${labels}] }\n`;

describe('config validate: labels', () => {
  it("refuses labels the camera's model cannot output, naming the field and the closest label", async () => {
    const result = await validate({ file: write('labels.yaml', RULES_ON('persons, motorbike, bicycle')) });
    expect(result.code).toBe(1);
    expect(result.error?.code).toBe('config_invalid');
    expect(result.error?.message).toBe(
      `${join(dir, 'labels.yaml')}: invalid site config:\n` +
        '  cameras[0].rules[1].labels[0]: "persons" is not a label of model yolox-nano; did you mean "person"?\n' +
        '  cameras[0].rules[1].labels[1]: "motorbike" is not a label of model yolox-nano; did you mean "motorcycle"?',
    );
    expect(result.out).toBe('');
  });

  it('accepts COCO labels (models/labels/coco80.txt) on the default model', async () => {
    const result = await validate({ file: write('coco.yaml', RULES_ON('person, motorcycle, traffic light, teddy bear')) });
    expect(result.error).toBeUndefined();
    expect(result.out).toMatch(/^ok: .*coco\.yaml: site lot, version 3, 1 camera\(s\), sha256 [0-9a-f]{64}\n$/);
  });

  it('checks against the registry it is given: a custom model with its own labels', async () => {
    const registryDir = mkdtempSync(join(tmpdir(), 'c5-registry-'));
    writeFileSync(join(registryDir, 'plates.txt'), 'plate\nface\n');
    writeFileSync(
      join(registryDir, 'registry.json'),
      JSON.stringify({
        version: 1,
        models: {
          'plate-net': {
            family: 'yolox',
            file: 'plate.onnx',
            sha256: ['0'.repeat(64)],
            licence: 'test',
            labels: 'plates.txt',
            numClasses: 2,
            input: { name: 'images', width: 64, height: 64, channelOrder: 'BGR', padValue: 114 },
            output: { name: 'output' },
            strides: [8],
          },
        },
      }),
    );
    const file = write(
      'plates.yaml',
      `  - id: gate\n    source: { url: x }\n    model: plate-net\n    rules: [{ id: p, type: object_present, labels: [plates, person] }]\n`,
    );
    const result = await validate({ file, registryPath: join(registryDir, 'registry.json') });
    expect(result.error?.message.split('\n').slice(1)).toEqual([
      '  cameras[0].rules[0].labels[0]: "plates" is not a label of model plate-net; did you mean "plate"?',
      `  cameras[0].rules[0].labels[1]: "person" is not a label of model plate-net (its 2 labels are listed in ${join(registryDir, 'plates.txt')})`,
    ]);
  });
});

describe('config validate: geometry', () => {
  it('says pixel-like coordinates are meant as fractions of the frame', async () => {
    const cameras =
      `  - id: gate\n    source: { url: x }\n` +
      `    zones: [{ id: walk, polygon: [[64, 36], [640, 36], [320, 300]] }]\n` +
      `    rules: [{ id: in, type: zone_intrusion, zone: walk, labels: [person] }]\n`;
    const result = await validate({ file: write('pixels.yaml', cameras) });
    expect(result.code).toBe(1);
    const lines = result.error!.message.split('\n');
    expect(lines).toContain('  cameras[0].zones[0].polygon[0][0]: Too big: expected number to be <=1 (received 64)');
    expect(lines.at(-1)).toBe(
      '  cameras[0].zones[0].polygon: looks like pixels (x up to 640, y up to 300): coordinates are fractions of the frame width and height, 0..1; divide x by the width and y by the height',
    );
  });
});

describe('config validate: warnings', () => {
  it('warns on stderr about a camera without rules and still exits 0', async () => {
    const cameras = `${RULES_ON('person')}  - id: lobby\n    source: { url: x }\n`;
    const result = await validate({ file: write('norules.yaml', cameras) });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ok: .* 2 camera\(s\)/);
    expect(result.err).toBe('warning: cameras[1] (id "lobby"): no rules, it will detect but never alert\n');
  });
});

describe('config validate: secrets', () => {
  const head = 'mqtt: { urls: ["mqtt://127.0.0.1:1883"], username: site-7, password: "file:/nonexistent/c5/mqtt-password" }\n';
  const cameras = `  - id: gate\n    source: { url: "env:GATE_URL" }\n    rules: [{ id: p, type: object_present, labels: [person] }]\n`;

  it('--no-secrets passes with nothing set, and lists each reference by field, never a value', async () => {
    const file = write('secrets.yaml', cameras, head);
    const result = await validate({ file, secrets: false }, { GATE_URL: 'rtsp://admin:hunter2@10.0.0.5/gate' });
    expect(result.error).toBeUndefined();
    expect(result.out.split('\n').slice(1)).toEqual([
      'secret references (resolved where the agent runs, not checked here):',
      '  mqtt.password: file:/nonexistent/c5/mqtt-password',
      '  cameras[0].source.url: env:GATE_URL',
      '',
    ]);
    expect(result.out.split('\n')[0]).toMatch(/; secrets not resolved \(--no-secrets\)$/);
    expect(result.out).not.toContain('hunter2');
    expect(result.out).not.toContain('site-7');
  });

  it('says so when there are no references', async () => {
    const result = await validate({ file: write('plain.yaml', RULES_ON('person')), secrets: false });
    expect(result.out.split('\n')[1]).toBe('secret references: none');
  });

  it('without --no-secrets reports every unresolved secret in one run, with the label errors', async () => {
    const withBadLabel = cameras.replace('labels: [person]', 'labels: [persons]');
    const result = await validate({ file: write('both.yaml', withBadLabel, head) });
    expect(result.error?.code).toBe('config_invalid');
    const lines = result.error!.message.split('\n').slice(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('cameras[0].rules[0].labels[0]: "persons"');
    expect(lines[1]).toMatch(/^ {2}mqtt\.password: cannot read secret file "\/nonexistent\/c5\/mqtt-password"/);
    expect(lines[2]).toBe('  cameras[0].source.url: environment variable GATE_URL is not set (from "env:GATE_URL")');
  });

  it('names every unresolved secret beside schema errors too', async () => {
    const result = await validate({ file: write('schema.yaml', cameras.replace('gate', 'Gate!'), head) });
    const lines = result.error!.message.split('\n').slice(1);
    expect(lines[0]).toMatch(/^ {2}cameras\[0\]\.id: expected an id/);
    expect(lines.slice(1).map((line) => line.split(':')[0])).toEqual(['  mqtt.password', '  cameras[0].source.url']);
  });

  it('passes when every secret resolves, printing none of them', async () => {
    const secretFile = join(dir, 'mqtt-password');
    writeFileSync(secretFile, 'correct-horse\n');
    const file = write('resolved.yaml', cameras, head.replace('/nonexistent/c5/mqtt-password', secretFile));
    const result = await validate({ file }, { GATE_URL: 'rtsp://admin:hunter2@10.0.0.5/gate' });
    expect(result.error).toBeUndefined();
    expect(result.out).toMatch(/^ok: .*resolved\.yaml: site lot, version 3, 1 camera\(s\), sha256 [0-9a-f]{64}\n$/);
    expect(result.out + result.err).not.toMatch(/hunter2|correct-horse/);
  });
});

describe('config validate: envelopes', () => {
  const key = generateSigningKey();
  const seal = (name: string, config: string): string => {
    const path = join(dir, name);
    const envelope = signEnvelope({ payload: Buffer.from(config), privateKey: readPrivateKey(key.privateKeyPem, 'key'), keyId: 'k1' });
    writeFileSync(path, JSON.stringify(envelope));
    return path;
  };
  const config = (labels: string): string =>
    `version: 3\nsite: { id: lot }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\ncameras:\n` +
    `  - id: gate\n    source: { url: "env:GATE_URL" }\n    rules: [{ id: p, type: object_present, labels: [${labels}] }]\n`;

  it("checks the payload's labels as it checks a file's", async () => {
    const result = await validate({ file: seal('bad-envelope.json', config('persons')), secrets: false });
    expect(result.error?.message).toBe(
      `${join(dir, 'bad-envelope.json')} (payload): invalid site config:\n` +
        '  cameras[0].rules[0].labels[0]: "persons" is not a label of model yolox-nano; did you mean "person"?',
    );
  });

  it("lists the payload's secret references with --no-secrets", async () => {
    const result = await validate({ file: seal('envelope.json', config('person')), secrets: false });
    expect(result.out.split('\n')).toEqual([
      expect.stringMatching(
        /^ok: .*envelope\.json: envelope from key k1, signature not checked \(pass --trusted FILE\), never expires; site lot, version 3, 1 camera\(s\), sha256 [0-9a-f]{64}; secrets not resolved \(--no-secrets\)$/,
      ),
      'secret references (resolved where the agent runs, not checked here):',
      '  cameras[0].source.url: env:GATE_URL',
      '',
    ]);
  });
});
