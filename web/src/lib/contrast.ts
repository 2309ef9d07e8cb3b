/*
 * Colours a person can read: a tag chip takes its category's colour, which an admin picks freely
 * (a pale yellow as much as a navy). The chip's text must reach WCAG's 4.5:1 against the chip,
 * whatever was picked.
 */

type Rgb = [number, number, number];

const FALLBACK = '#6b7280';
/** WCAG 2 AA for normal text; a little above, so rounding never lands under it. */
const MIN_CONTRAST = 4.6;

/** `#rgb` or `#rrggbb` as 0–255 channels (the API only stores those), else undefined. */
export function parseHex(color: string): Rgb | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return undefined;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

const toHex = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** `a` moved towards `b` by `amount` (0..1). */
const mix = (a: Rgb, b: Rgb, amount: number): Rgb => a.map((c, i) => c + (b[i]! - c) * amount) as Rgb;

/** WCAG relative luminance. */
export function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export interface ChipColors {
  background: string;
  border: string;
  text: string;
}

/**
 * A chip in `color`: a pale tint of it behind, and as text the colour itself, darkened just
 * enough to reach 4.5:1 against that tint (so the hue still says which category it is).
 */
export function chipColors(color: string | undefined): ChipColors {
  const base = parseHex(color ?? '') ?? parseHex(FALLBACK)!;
  const white: Rgb = [255, 255, 255];
  const black: Rgb = [0, 0, 0];
  const background = mix(base, white, 0.88);
  let text = base;
  for (let step = 1; contrastRatio(text, background) < MIN_CONTRAST && step <= 20; step++) text = mix(base, black, step * 0.05);
  return { background: toHex(background), border: toHex(mix(base, white, 0.65)), text: toHex(text) };
}

/** The inline style of a tag chip (the `.tag` class reads these). */
export function tagChipStyle(color: string | undefined): Record<string, string> {
  const c = chipColors(color);
  return { '--tag-bg': c.background, '--tag-border': c.border, '--tag-text': c.text };
}
