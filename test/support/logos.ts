import sharp from 'sharp';

/**
 * Invented logos (no real trademark) drawn as SVG shapes and DejaVu lettering, and their placement
 * onto real photos the way a logo shows up in an upload: small, turned a little, semi-transparent.
 * Shared by the unit and integration tests and `eval/logo.ts`.
 */

export interface SyntheticLogo {
  name: string;
  /** Aspect of the drawing's box (width / height); the body is drawn in a box 200 high. */
  aspect: number;
  body: string;
}

const text = (x: number, y: number, size: number, content: string, fill: string, extra = ''): string =>
  `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" text-anchor="middle" fill="${fill}" ${extra}>${content}</text>`;

export const SYNTHETIC_LOGOS: readonly SyntheticLogo[] = [
  {
    name: 'norvale',
    aspect: 1,
    body:
      '<circle cx="100" cy="100" r="96" fill="#1d4e89"/><circle cx="100" cy="100" r="82" fill="none" stroke="#f2c14e" stroke-width="6"/>' +
      '<path d="M40 130 L80 62 L104 100 L122 76 L160 130 Z" fill="#f2c14e"/>' +
      text(100, 162, 26, 'NORVALE', '#ffffff'),
  },
  {
    name: 'qubiko',
    aspect: 2.4,
    body:
      '<rect x="8" y="20" width="160" height="160" rx="18" fill="#d7263d"/><rect x="48" y="60" width="80" height="80" fill="#ffffff" transform="rotate(45 88 100)"/>' +
      '<rect x="70" y="82" width="36" height="36" fill="#d7263d"/>' +
      text(318, 128, 84, 'qubiko', '#222222'),
  },
  {
    name: 'zephyra',
    aspect: 3,
    body:
      '<path d="M10 150 C 120 40, 300 220, 590 60" fill="none" stroke="#2a9d8f" stroke-width="16" stroke-linecap="round"/>' +
      text(300, 120, 92, 'ZEPHYRA', '#264653', 'font-style="italic"'),
  },
  {
    name: 'korrin',
    aspect: 1,
    body:
      '<polygon points="100,4 183,52 183,148 100,196 17,148 17,52" fill="#3a0ca3"/><polygon points="100,24 166,62 166,138 100,176 34,138 34,62" fill="none" stroke="#ffffff" stroke-width="5"/>' +
      text(100, 138, 112, 'K', '#ffffff') +
      '<circle cx="150" cy="60" r="12" fill="#f72585"/>',
  },
  {
    name: 'lumafen',
    aspect: 2.6,
    body:
      '<circle cx="100" cy="100" r="90" fill="none" stroke="#e76f51" stroke-width="14"/>' +
      '<polygon points="100,30 118,80 172,80 128,112 145,164 100,132 55,164 72,112 28,80 82,80" fill="#f4a261"/>' +
      text(360, 88, 64, 'LUMA', '#e76f51') +
      text(360, 160, 64, 'FEN', '#2b2d42'),
  },
  {
    name: 'braxton-fell',
    aspect: 0.85,
    body:
      '<path d="M10 10 H160 V100 C160 160 85 194 85 194 C85 194 10 160 10 100 Z" fill="#2b2d42"/>' +
      '<path d="M30 30 H140 V50 H30 Z M30 66 H140 V86 H30 Z" fill="#8d99ae"/>' +
      text(85, 150, 40, 'B&amp;F', '#edf2f4'),
  },
];

const WORDS = ['ARDENT', 'belvo', 'CORAX', 'dunmore', 'ELSKA', 'fyrn', 'GALLO', 'hestia', 'IVORA', 'jolt', 'KESTRA', 'lune', 'MORRO', 'nexa'];
const COLOURS = ['#c1121f', '#003049', '#669bbc', '#2a9d8f', '#e9c46a', '#6a4c93', '#1982c4'];

/** Up to 14 more invented marks (a rounded square with a disc, and a word), to fill a larger logo library. */
export function moreLogos(count: number): SyntheticLogo[] {
  return WORDS.slice(0, count).map((word, i) => ({
    name: word.toLowerCase(),
    aspect: 2.2,
    body:
      `<rect x="${4 + i}" y="30" width="140" height="140" rx="${i * 5}" fill="${COLOURS[i % COLOURS.length]}"/><circle cx="74" cy="100" r="${30 + i * 2}" fill="#ffffff"/>` +
      text(290, 125, 70, word, '#222222'),
  }));
}

export function logoByName(name: string): SyntheticLogo {
  const logo = SYNTHETIC_LOGOS.find((l) => l.name === name);
  if (!logo) throw new Error(`no synthetic logo ${name}`);
  return logo;
}

const BOX_HEIGHT = 200;

/** The logo as a tenant would supply it: a PNG `width` px wide on a transparent background. */
export async function renderLogoPng(logo: SyntheticLogo, width: number): Promise<Buffer> {
  const boxWidth = BOX_HEIGHT * logo.aspect;
  const height = Math.round(width / logo.aspect);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${boxWidth} ${BOX_HEIGHT}">${logo.body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface Placement {
  /** Logo width as a share of the photo's width. */
  widthShare: number;
  /** Degrees, clockwise. */
  rotation: number;
  opacity: number;
  /** Where the logo's centre goes, as shares of the photo's width and height. */
  centre?: { x: number; y: number };
}

/** Where a placement put the logo, in the output's pixels (its unrotated box's corners, rotated). */
export interface PlacedBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A JPEG (quality 90) of `photo` with the logo drawn on it, orientation applied; and the axis-aligned box it covers. */
export async function pasteLogo(photo: Buffer | string, logo: SyntheticLogo, placement: Placement): Promise<{ bytes: Buffer; box: PlacedBox }> {
  const { data, info } = await sharp(photo).rotate().toBuffer({ resolveWithObject: true });
  const centre = placement.centre ?? { x: 0.3, y: 0.35 };
  const width = placement.widthShare * info.width;
  const scale = width / (BOX_HEIGHT * logo.aspect);
  const height = BOX_HEIGHT * scale;
  const cx = centre.x * info.width;
  const cy = centre.y * info.height;
  const transform = `translate(${cx} ${cy}) rotate(${placement.rotation}) scale(${scale}) translate(${(-BOX_HEIGHT * logo.aspect) / 2} ${-BOX_HEIGHT / 2})`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${info.width}" height="${info.height}"><g opacity="${placement.opacity}" transform="${transform}">${logo.body}</g></svg>`;
  const bytes = await sharp(data).composite([{ input: Buffer.from(svg), left: 0, top: 0 }]).jpeg({ quality: 90 }).toBuffer();
  const a = (placement.rotation * Math.PI) / 180;
  const spanX = Math.abs(width * Math.cos(a)) + Math.abs(height * Math.sin(a));
  const spanY = Math.abs(width * Math.sin(a)) + Math.abs(height * Math.cos(a));
  return { bytes, box: { x: cx - spanX / 2, y: cy - spanY / 2, width: spanX, height: spanY } };
}
