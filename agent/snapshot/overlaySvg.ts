import type { CameraConfig } from '../../pipelines/config/siteConfig.js';
import { PAD_VALUE } from '../../pipelines/detect/letterbox.js';
import { lineInArrow, type PixelPoint } from '../../pipelines/overlay/lineInArrow.js';
import { polygonLabelPoint } from '../../pipelines/overlay/polygonLabelPoint.js';
import type { Box, Point } from '../../pipelines/types.js';

/** One colour per kind, saturated so it reads on any scene; every shape and label also gets a black halo. */
export const OVERLAY_COLOURS = {
  zone: '#ffd400',
  line: '#00e5ff',
  mask: '#ff2bd6',
  object: '#39ff14',
} as const;

/** How opaque a zone's fill is: enough to see the zone, little enough to see what is in it. */
export const ZONE_FILL_OPACITY = 0.25;

/** A detection of the last analysed frame, with the id of the track it belongs to when the tracker reported one. */
export interface OverlayObject {
  readonly box: Box;
  readonly label: string;
  readonly score: number;
  readonly trackId?: number;
}

export interface OverlayScene {
  readonly width: number;
  readonly height: number;
  readonly zones: CameraConfig['zones'];
  readonly lines: CameraConfig['lines'];
  readonly masks: CameraConfig['privacyMasks'];
  readonly objects?: readonly OverlayObject[];
}

/** Longest name shown; config names have no length limit of their own. */
const MAX_LABEL_CHARS = 60;

/**
 * The overlay as an SVG of exactly the image's size: masks (filled with the pad grey the model
 * sees there, hatched), zones (outlined, filled translucent), lines (with the arrow of their `in`
 * direction), the detections of the last analysed frame, then every label on top. Names come
 * from config files, so every piece of text goes through `svgText` (XML-escaped, control
 * characters removed, bounded). Sizes scale with the image so a 4K frame is as legible as a
 * 640x360 one.
 */
export function overlaySvg(scene: OverlayScene): string {
  const { width, height } = scene;
  const short = Math.min(width, height);
  const stroke = Math.max(2, Math.round(short / 300));
  const font = Math.max(12, Math.round(short / 32));
  const px = (p: Point | PixelPoint, normalised = true): string => (normalised ? `${fmt(p[0] * width)},${fmt(p[1] * height)}` : `${fmt(p[0])},${fmt(p[1])}`);
  const shapes: string[] = [];
  const labels: string[] = [];
  /** Text is kept on the image: its width is estimated (bold DejaVu Sans averages under 0.7 em a character). */
  const label = (at: PixelPoint, text: string, colour: string, anchor: 'start' | 'middle' = 'middle', size = font): void => {
    const shown = svgText(text);
    const estimatedWidth = Array.from(text.slice(0, MAX_LABEL_CHARS)).length * size * 0.7;
    const left = anchor === 'middle' ? estimatedWidth / 2 : 0;
    const x = clamp(at[0], left + 2, width - estimatedWidth + left - 2);
    const y = clamp(at[1], size, height - size / 4);
    labels.push(
      `<text x="${fmt(x)}" y="${fmt(y)}" text-anchor="${anchor}" font-size="${size}" fill="${colour}" stroke="#000" stroke-width="${fmt(size / 6)}" paint-order="stroke">${shown}</text>`,
    );
  };
  const haloed = (element: string, attributes: string, colour: string, width = stroke): void => {
    shapes.push(`<${element} ${attributes} fill="none" stroke="#000" stroke-width="${width + 2}" stroke-linejoin="round" stroke-linecap="round"/>`);
    shapes.push(`<${element} ${attributes} fill="none" stroke="${colour}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"/>`);
  };
  const pixel = (p: Point): PixelPoint => [p[0] * width, p[1] * height];

  for (const mask of scene.masks) {
    const points = mask.polygon.map((p) => px(p)).join(' ');
    shapes.push(`<polygon points="${points}" fill="url(#mask-hatch)" stroke="none"/>`);
    haloed('polygon', `points="${points}"`, OVERLAY_COLOURS.mask);
    label(pixel(polygonLabelPoint(mask.polygon)), named('mask', mask), OVERLAY_COLOURS.mask);
  }
  for (const zone of scene.zones) {
    const points = zone.polygon.map((p) => px(p)).join(' ');
    shapes.push(`<polygon points="${points}" fill="${OVERLAY_COLOURS.zone}" fill-opacity="${ZONE_FILL_OPACITY}" stroke="none"/>`);
    haloed('polygon', `points="${points}"`, OVERLAY_COLOURS.zone);
    label(pixel(polygonLabelPoint(zone.polygon)), named('zone', zone), OVERLAY_COLOURS.zone);
  }
  for (const line of scene.lines) {
    haloed(
      'line',
      `x1="${fmt(line.from[0] * width)}" y1="${fmt(line.from[1] * height)}" x2="${fmt(line.to[0] * width)}" y2="${fmt(line.to[1] * height)}"`,
      OVERLAY_COLOURS.line,
    );
    const arrow = lineInArrow(line.from, line.to, width, height, Math.max(30, short * 0.1));
    if (arrow) {
      haloed('line', `x1="${fmt(arrow.base[0])}" y1="${fmt(arrow.base[1])}" x2="${fmt(arrow.tip[0])}" y2="${fmt(arrow.tip[1])}"`, OVERLAY_COLOURS.line);
      const head = [arrow.tip, ...arrow.head].map((p) => px(p, false)).join(' ');
      shapes.push(`<polygon points="${head}" fill="${OVERLAY_COLOURS.line}" stroke="#000" stroke-width="1"/>`);
      // "in" just past the tip, on the `in` side
      const dx = arrow.tip[0] - arrow.base[0];
      const dy = arrow.tip[1] - arrow.base[1];
      const reach = Math.hypot(dx, dy);
      label([arrow.tip[0] + (dx / reach) * font, arrow.tip[1] + (dy / reach) * font + font / 3], 'in', OVERLAY_COLOURS.line);
    }
    // the name at the `from` end, so it stays clear of the arrow in the middle
    label([line.from[0] * width, line.from[1] * height - font / 2], named('line', line), OVERLAY_COLOURS.line, 'start');
  }
  for (const object of scene.objects ?? []) {
    const [x1, y1, x2, y2] = [object.box[0] * width, object.box[1] * height, object.box[2] * width, object.box[3] * height];
    haloed('rect', `x="${fmt(x1)}" y="${fmt(y1)}" width="${fmt(x2 - x1)}" height="${fmt(y2 - y1)}"`, OVERLAY_COLOURS.object);
    const track = object.trackId === undefined ? '' : `#${object.trackId} `;
    // smaller than the config's names: a busy scene has many; above the box, or inside its top at the image's top
    const size = Math.max(11, Math.round(font * 0.7));
    const above = y1 - stroke - 2 >= size;
    label([x1, above ? y1 - stroke - 2 : y1 + size + stroke], `${track}${object.label} ${object.score.toFixed(2)}`, OVERLAY_COLOURS.object, 'start', size);
  }

  const hatch = Math.max(8, stroke * 5);
  const pad = `rgb(${PAD_VALUE},${PAD_VALUE},${PAD_VALUE})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs>',
    // The pad grey is what the model gets in a mask (PrivacyMasker paints it before inference).
    `<pattern id="mask-hatch" patternUnits="userSpaceOnUse" width="${hatch}" height="${hatch}" patternTransform="rotate(45)">`,
    `<rect width="${hatch}" height="${hatch}" fill="${pad}"/>`,
    `<rect width="${Math.max(2, Math.round(hatch / 4))}" height="${hatch}" fill="${OVERLAY_COLOURS.mask}"/>`,
    '</pattern>',
    '</defs>',
    ...shapes,
    `<g font-family="DejaVu Sans, Verdana, sans-serif" font-weight="bold">`,
    ...labels,
    '</g>',
    '</svg>',
  ].join('\n');
}

function named(kind: string, item: { readonly id: string; readonly name?: string | undefined }): string {
  return item.name ? `${kind} ${item.id}: ${item.name}` : `${kind} ${item.id}`;
}

/**
 * Config text made safe for SVG character data: control characters (XML 1.0 forbids most, and a
 * newline would break the label) lone surrogates and U+FFFE/U+FFFF become "?", the rest of the markup characters are escaped, and
 * at most MAX_LABEL_CHARS are shown. One pass over at most MAX_LABEL_CHARS + 1 characters.
 */
export function svgText(value: string): string {
  const chars = Array.from(value.slice(0, MAX_LABEL_CHARS * 2 + 2)).slice(0, MAX_LABEL_CHARS + 1);
  const shown = chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…` : chars.join('');
  // `u`: a surrogate range matches only lone surrogates, so an emoji in a name survives. The
  // control characters are the point of the pattern.
  // eslint-disable-next-line no-control-regex
  return shown.replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff&<>"']/gu, (char) => XML_ESCAPES[char] ?? '?');
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function fmt(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), Math.max(low, high));
}
