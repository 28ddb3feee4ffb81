import sharp from 'sharp';

/**
 * Renders stock-style watermarks onto real photos with SVG text (DejaVu Sans through librsvg), the way
 * agency previews look: a large name in the centre, the name tiled diagonally over the whole picture,
 * or a small credit in a corner. Shared by the unit tests and `eval/copyright.ts`.
 */

export type WatermarkStyle = 'centred' | 'tiled' | 'corner';
export const WATERMARK_STYLES: readonly WatermarkStyle[] = ['centred', 'tiled', 'corner'];

/** What each agency's previews show: [big name, corner credit]. */
export const AGENCY_MARKS: Readonly<Record<string, readonly [string, string]>> = {
  Shutterstock: ['shutterstock', 'shutterstock.com · 1984412345'],
  'Getty Images': ['Getty Images', 'Credit: Getty Images'],
  iStock: ['iStock', 'iStock.com/photographer'],
  Alamy: ['alamy', 'Alamy Stock Photo'],
  'Adobe Stock': ['Adobe Stock', 'Adobe Stock | #412345678'],
  Dreamstime: ['dreamstime', '© Dreamstime.com'],
  '123RF': ['123RF', '© 123RF.com'],
  Depositphotos: ['depositphotos', 'depositphotos.com'],
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The SVG overlay for an image of this size; `opacity` 0..1 applies to the white text and its dark edge. */
export function watermarkSvg(agency: string, style: WatermarkStyle, opacity: number, width: number, height: number): string {
  const marks = AGENCY_MARKS[agency];
  if (!marks) throw new Error(`no watermark for agency ${agency}`);
  const [name, credit] = marks.map(escapeXml) as [string, string];
  const text = (x: number, y: number, size: number, content: string, anchor: string, extra = ''): string =>
    `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" text-anchor="${anchor}" fill="#ffffff" stroke="#202020" stroke-width="${Math.max(1, size / 40)}" ${extra}>${content}</text>`;
  let body: string;
  if (style === 'centred') {
    const size = Math.round(width / 9);
    body = text(width / 2, height / 2 + size / 3, size, name, 'middle') + text(width / 2, height / 2 + size * 1.2, Math.round(size / 3.5), 'Image ID: 1984412345', 'middle');
  } else if (style === 'tiled') {
    const size = Math.round(Math.max(width, height) / 16);
    const parts: string[] = [];
    const stepX = size * 7;
    const stepY = size * 3;
    for (let y = -height; y < height * 2; y += stepY) {
      for (let x = -width; x < width * 2; x += stepX) parts.push(text(x + ((y / stepY) % 2) * (stepX / 2), y, size, name, 'start'));
    }
    body = `<g transform="rotate(-30 ${width / 2} ${height / 2})">${parts.join('')}</g>`;
  } else {
    const size = Math.max(12, Math.round(height * 0.035));
    body = text(width - size * 0.6, height - size * 0.7, size, credit, 'end');
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g opacity="${opacity}">${body}</g></svg>`;
}

/** A JPEG (quality 90) of `input` with the watermark composited at full resolution, orientation applied. */
export async function renderWatermark(input: Buffer | string, agency: string, style: WatermarkStyle, opacity: number): Promise<Buffer> {
  const { data, info } = await sharp(input).rotate().toBuffer({ resolveWithObject: true });
  const svg = watermarkSvg(agency, style, opacity, info.width, info.height);
  return sharp(data).composite([{ input: Buffer.from(svg), left: 0, top: 0 }]).jpeg({ quality: 90 }).toBuffer();
}
