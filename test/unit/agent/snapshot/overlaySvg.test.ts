import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { overlaySvg, svgText } from '../../../../agent/snapshot/overlaySvg.js';

const square = [
  [0.1, 0.2],
  [0.5, 0.2],
  [0.5, 0.6],
  [0.1, 0.6],
] as [number, number][];

describe('svgText', () => {
  it('escapes the five markup characters', () => {
    expect(svgText(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('turns control characters, lone surrogates and U+FFFE/U+FFFF into "?", and keeps real characters', () => {
    expect(svgText('a\u0000b\u001bc\nd\u007fe\u0085f')).toBe('a?b?c?d?e?f');
    expect(svgText('x\ud800y\udfffz\ufffe\uffff')).toBe('x?y?z??');
    expect(svgText('Zürich 🚲 entrée')).toBe('Zürich 🚲 entrée');
  });

  it('shows at most 60 characters of a long name, whatever its length', () => {
    const shown = svgText('n'.repeat(10_000_000));
    expect(shown).toBe(`${'n'.repeat(59)}…`);
    expect(svgText('n'.repeat(60))).toBe('n'.repeat(60));
  });
});

describe('overlaySvg', () => {
  it('places shapes at the config coordinates times the image size', () => {
    const svg = overlaySvg({
      width: 1000,
      height: 500,
      zones: [{ id: 'z', polygon: square }],
      lines: [{ id: 'l', from: [0.2, 0.5], to: [0.8, 0.5] }],
      masks: [],
      objects: [{ box: [0.1, 0.1, 0.3, 0.5], label: 'person', score: 0.876, trackId: 7 }],
    });
    // 0.1 * 1000, 0.2 * 500, ...
    expect(svg).toContain('points="100,100 500,100 500,300 100,300"');
    expect(svg).toContain('x1="200" y1="250" x2="800" y2="250"');
    expect(svg).toContain('x="100" y="50" width="200" height="200"');
    expect(svg).toContain('>#7 person 0.88</text>');
    expect(svg).toContain('>zone z</text>');
  });

  it('keeps hostile names as text: the SVG still renders and carries no element from them', async () => {
    const hostile = ']]></text><script>alert(1)</script><!ENTITY x SYSTEM "file:///etc/passwd">&x;\u0000';
    const svg = overlaySvg({
      width: 320,
      height: 240,
      zones: [{ id: 'z', name: hostile, polygon: square }],
      lines: [{ id: 'l', name: hostile, from: [0.2, 0.5], to: [0.8, 0.5] }],
      masks: [{ id: 'm', name: hostile, polygon: square }],
      objects: [{ box: [0.1, 0.1, 0.3, 0.5], label: hostile, score: 0.5 }],
    });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<!ENTITY');
    expect(svg).not.toContain('\u0000');
    expect(svg.match(/<text /g)).toHaveLength(5); // zone, mask, line name, its "in", the object
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    expect((await sharp(png).metadata()).width).toBe(320);
  });
});
