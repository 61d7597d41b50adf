import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../../pipelines/errors.js';
import { getModelEntry, parseLabels, parseModelRegistry } from '../../../../pipelines/detect/modelRegistry.js';

const SHA_A = 'a'.repeat(64);

function entry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    family: 'yolox',
    file: 'm.onnx',
    sha256: [SHA_A],
    licence: 'Apache-2.0',
    sourceUrl: 'https://example.org/m.onnx',
    labels: 'labels/coco80.txt',
    numClasses: 80,
    input: { name: 'images', width: 416, height: 416, channelOrder: 'BGR', padValue: 114 },
    output: { name: 'output' },
    strides: [8, 16, 32],
    ...overrides,
  };
}

const registry = (models: Record<string, unknown>): unknown => ({ version: 1, models });

function codeAndMessage(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ModelError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a ModelError');
}

describe('parseModelRegistry', () => {
  it('accepts a valid entry and fills defaults', () => {
    const parsed = parseModelRegistry(registry({ m: entry() }));
    expect(parsed.models['m']?.input.pixelValues).toBe('raw');
  });

  it.each([
    ['a missing family', entry({ family: undefined }), 'models.m.family'],
    ['an unknown family', entry({ family: 'yolov9' }), 'models.m.family'],
    ['a bad digest', entry({ sha256: ['ABC'] }), 'models.m.sha256[0]: expected a sha256 digest'],
    ['no digests', entry({ sha256: [] }), 'models.m.sha256: expected at least one accepted sha256 digest'],
    ['a file name with a folder', entry({ file: '../evil.onnx' }), 'models.m.file: expected a plain file name'],
    ['a labels path escaping the folder', entry({ labels: '../../etc/passwd' }), 'models.m.labels'],
    ['a bad channel order', entry({ input: { ...(entry()['input'] as object), channelOrder: 'RBG' } }), 'models.m.input.channelOrder'],
    ['a pad value out of range', entry({ input: { ...(entry()['input'] as object), padValue: 300 } }), 'models.m.input.padValue'],
    ['a stride that does not divide the input', entry({ strides: [8, 16, 32, 64] }), 'models.m.strides: stride 64'],
    ['a non-https source', entry({ sourceUrl: 'ftp://example.org/m.onnx' }), 'models.m.sourceUrl'],
    ['an unknown key', entry({ colour: 'red' }), 'models.m'],
  ])('names the field for %s', (_what, bad, expected) => {
    const { code, message } = codeAndMessage(() => parseModelRegistry(registry({ m: bad }), 'test registry'));
    expect(code).toBe('invalid_registry');
    expect(message).toContain('test registry is invalid');
    expect(message).toContain(expected);
  });

  it('rejects a bad model name and a wrong version', () => {
    expect(codeAndMessage(() => parseModelRegistry(registry({ 'Bad Name': entry() }))).message).toContain('models');
    expect(codeAndMessage(() => parseModelRegistry({ version: 2, models: {} })).message).toContain('version');
  });
});

describe('getModelEntry', () => {
  const parsed = parseModelRegistry(registry({ m: entry(), n: entry() }));

  it('returns the entry', () => {
    expect(getModelEntry(parsed, 'm').file).toBe('m.onnx');
  });

  it('lists the known models for an unknown name', () => {
    expect(codeAndMessage(() => getModelEntry(parsed, 'x'))).toEqual({
      code: 'unknown_model',
      message: 'model "x" is not in the registry; known models: m, n',
    });
    expect(codeAndMessage(() => getModelEntry(parsed, 'constructor')).code).toBe('unknown_model');
  });
});

describe('parseLabels', () => {
  it('ignores blank lines, comments and surrounding spaces', () => {
    expect(parseLabels('# header\nperson\r\n  bicycle \n\n', 2)).toEqual(['person', 'bicycle']);
  });

  it('refuses a count that disagrees with the registry', () => {
    expect(codeAndMessage(() => parseLabels('a\nb\n', 3, 'x.txt'))).toEqual({
      code: 'invalid_labels',
      message: 'x.txt has 2 labels but the registry says numClasses is 3',
    });
  });

  it('refuses duplicates', () => {
    expect(() => parseLabels('a\na\n', 2)).toThrow(/lists "a" twice/);
  });
});
