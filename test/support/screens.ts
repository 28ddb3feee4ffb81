import sharp from 'sharp';

/**
 * Builds screenshots and photos of screens from real photos, for the quality.screenshot and
 * quality.screen_recapture tests and the calibration eval. Everything is drawn with sharp (SVG shapes and
 * DejaVu text), so the cases are reproducible and carry no third-party screenshot.
 */

export interface ScreenshotOptions {
  /** Canvas size in physical pixels. */
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  theme: 'light' | 'dark';
  /** Top status bar (phone) or menu bar (desktop). */
  statusBar: boolean;
  /** Bottom navigation bar (Android three buttons) or task bar (desktop). */
  navBar: boolean;
}

const colours = (theme: 'light' | 'dark'): { bg: string; ink: string } => (theme === 'light' ? { bg: '#ffffff', ink: '#000000' } : { bg: '#000000', ink: '#ffffff' });

/** Phone status bar: clock left, signal bars, Wi-Fi wedge and battery right. */
function statusBarSvg(w: number, barH: number, ink: string): string {
  const s = barH / 141;
  const y = barH * 0.62;
  const font = Math.round(48 * s);
  const bars = [0, 1, 2, 3].map((i) => `<rect x="${w - 330 * s + i * 18 * s}" y="${y - (14 + i * 8) * s}" width="${12 * s}" height="${(14 + i * 8) * s}" fill="${ink}"/>`).join('');
  const wifi = `<path d="M ${w - 240 * s} ${y - 34 * s} L ${w - 200 * s} ${y} L ${w - 160 * s} ${y - 34 * s} Z" fill="${ink}"/>`;
  const battery = `<rect x="${w - 140 * s}" y="${y - 36 * s}" width="${80 * s}" height="${36 * s}" rx="${8 * s}" fill="none" stroke="${ink}" stroke-width="${4 * s}"/><rect x="${w - 134 * s}" y="${y - 30 * s}" width="${56 * s}" height="${24 * s}" fill="${ink}"/>`;
  return `<text x="${90 * s}" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="${font}" fill="${ink}">9:41</text>${bars}${wifi}${battery}`;
}

/** Android three-button navigation: back triangle, home circle, recents square. */
function navBarSvg(w: number, top: number, barH: number, ink: string): string {
  const cy = top + barH / 2;
  const r = barH * 0.18;
  return [
    `<path d="M ${w * 0.25 + r} ${cy - r} L ${w * 0.25 - r} ${cy} L ${w * 0.25 + r} ${cy + r} Z" fill="none" stroke="${ink}" stroke-width="${r * 0.3}"/>`,
    `<circle cx="${w * 0.5}" cy="${cy}" r="${r}" fill="none" stroke="${ink}" stroke-width="${r * 0.3}"/>`,
    `<rect x="${w * 0.75 - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="none" stroke="${ink}" stroke-width="${r * 0.3}"/>`,
  ].join('');
}

/** Desktop menu bar: logo and menu titles left, clock right. */
function menuBarSvg(w: number, barH: number, ink: string): string {
  const font = Math.round(barH * 0.55);
  const y = barH * 0.72;
  return `<circle cx="${barH}" cy="${barH / 2}" r="${barH * 0.3}" fill="${ink}"/><text x="${barH * 2}" y="${y}" font-family="DejaVu Sans" font-size="${font}" fill="${ink}">Finder   File   Edit   View   Go   Window   Help</text><text x="${w - barH * 9}" y="${y}" font-family="DejaVu Sans" font-size="${font}" fill="${ink}">Mon 9:41 AM</text>`;
}

/** Desktop task bar: a row of app icons in the middle, tray and clock on the right. */
function taskBarSvg(w: number, top: number, barH: number, ink: string): string {
  const icon = barH * 0.5;
  const icons = [0, 1, 2, 3, 4].map((i) => `<rect x="${w * 0.42 + i * icon * 1.6}" y="${top + barH * 0.25}" width="${icon}" height="${icon}" rx="${icon * 0.2}" fill="${ink}"/>`).join('');
  return `${icons}<text x="${w - barH * 3.2}" y="${top + barH * 0.66}" font-family="DejaVu Sans" font-size="${Math.round(barH * 0.36)}" fill="${ink}">09:41</text>`;
}

/** A real photo shown full-width in an app (phone) or in a window (desktop), with the system bars drawn around it. */
export async function makeScreenshot(photo: Buffer, o: ScreenshotOptions): Promise<Buffer> {
  const { bg, ink } = colours(o.theme);
  const desktop = o.width > o.height;
  const topH = o.statusBar ? Math.round(desktop ? o.height * 0.027 : o.height * 0.0557) : 0;
  const bottomH = o.navBar ? Math.round(desktop ? o.height * 0.05 : o.height * 0.0525) : 0;
  const areaW = desktop ? Math.round(o.width * 0.7) : o.width;
  const areaH = o.height - topH - bottomH - Math.round(o.height * 0.1);
  const picture = await sharp(photo).rotate().resize(areaW, areaH, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const left = Math.round((o.width - picture.info.width) / 2);
  const top = topH + Math.round((o.height - topH - bottomH - picture.info.height) / 2);
  const overlays: string[] = [];
  if (o.statusBar) overlays.push(desktop ? menuBarSvg(o.width, topH, ink) : statusBarSvg(o.width, topH, ink));
  if (o.navBar) overlays.push(desktop ? taskBarSvg(o.width, o.height - bottomH, bottomH, ink) : navBarSvg(o.width, o.height - bottomH, bottomH, ink));
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}">${overlays.join('')}</svg>`);
  const canvas = sharp({ create: { width: o.width, height: o.height, channels: 3, background: bg } }).composite([
    { input: picture.data, raw: { width: picture.info.width, height: picture.info.height, channels: picture.info.channels as 3 }, left, top },
    { input: svg, left: 0, top: 0 },
  ]);
  return o.format === 'png' ? canvas.png().toBuffer() : canvas.jpeg({ quality: 90 }).toBuffer();
}

/** The screenshot layouts the tests and the eval use: phones in both themes, with and without a nav bar, and desktops. */
export const SCREENSHOT_LAYOUTS: ReadonlyArray<{ name: string } & ScreenshotOptions> = [
  { name: 'iPhone 1170×2532 light PNG', width: 1170, height: 2532, format: 'png', theme: 'light', statusBar: true, navBar: false },
  { name: 'iPhone 1179×2556 dark JPEG', width: 1179, height: 2556, format: 'jpeg', theme: 'dark', statusBar: true, navBar: false },
  { name: 'Android 1080×2400 light PNG, nav bar', width: 1080, height: 2400, format: 'png', theme: 'light', statusBar: true, navBar: true },
  { name: 'Android 1080×2340 dark JPEG, nav bar', width: 1080, height: 2340, format: 'jpeg', theme: 'dark', statusBar: true, navBar: true },
  { name: 'Android 1440×3200 light JPEG, nav bar only', width: 1440, height: 3200, format: 'jpeg', theme: 'light', statusBar: false, navBar: true },
  { name: 'desktop 1440×900 light PNG, menu bar', width: 1440, height: 900, format: 'png', theme: 'light', statusBar: true, navBar: false },
  { name: 'desktop 1366×768 dark JPEG, task bar', width: 1366, height: 768, format: 'jpeg', theme: 'dark', statusBar: false, navBar: true },
];

export interface RecaptureOptions {
  /** Screen pixels across the shown photo. */
  screenWidth: number;
  /** Camera pixels per screen pixel after the final resampling (non-integer → beats with the grid). */
  cameraPixelsPerScreenPixel: number;
  /** Camera roll relative to the screen, degrees. */
  rotateDeg: number;
  /** Optical blur of the camera, in camera pixels (Gaussian σ). */
  blurSigma: number;
}

/**
 * A photo of a screen showing `photo`: the photo at screen resolution, each screen pixel drawn as R, G and
 * B stripes with a dark gap (an LCD's sub-pixels, 4×4 device pixels per screen pixel), turned slightly,
 * softened by the lens, and resampled to the camera's pixel grid, saved as a camera JPEG. The two grids
 * beat, which is the moiré a real recapture shows.
 */
export async function makeRecapture(photo: Buffer, o: RecaptureOptions): Promise<Buffer> {
  const shown = await sharp(photo).rotate().resize(o.screenWidth).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: sw, height: sh } = shown.info;
  const k = 4;
  const W = sw * k;
  const H = sh * k;
  const lit = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    const gapRow = y % k === k - 1;
    for (let x = 0; x < W; x++) {
      const sub = x % k;
      const src = (Math.floor(y / k) * sw + Math.floor(x / k)) * 3;
      const dst = (y * W + x) * 3;
      if (gapRow || sub === 3) continue;
      lit[dst + sub] = shown.data[src + sub]!;
    }
  }
  const cameraWidth = Math.round(sw * o.cameraPixelsPerScreenPixel);
  // Sub-pixel stripes carry a third of the light each: brighten back to the photo's exposure.
  const rotated = await sharp(lit, { raw: { width: W, height: H, channels: 3 } }).rotate(o.rotateDeg, { background: '#101010' }).linear(2.2, 0).raw().toBuffer({ resolveWithObject: true });
  return sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 } })
    .resize(Math.round((cameraWidth * rotated.info.width) / W), null, { kernel: 'linear' })
    .blur(o.blurSigma)
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** Recapture settings the tests and the eval use: different screen densities, angles and focus. */
export const RECAPTURE_SETTINGS: ReadonlyArray<{ name: string } & RecaptureOptions> = [
  { name: '800 px screen, 1.3 camera px per screen px, 2°', screenWidth: 800, cameraPixelsPerScreenPixel: 1.3, rotateDeg: 2, blurSigma: 0.6 },
  { name: '640 px screen, 1.7 camera px per screen px, 4°', screenWidth: 640, cameraPixelsPerScreenPixel: 1.7, rotateDeg: 4, blurSigma: 0.8 },
  { name: '1000 px screen, 1.1 camera px per screen px, 1°', screenWidth: 1000, cameraPixelsPerScreenPixel: 1.1, rotateDeg: 1, blurSigma: 0.5 },
  { name: '720 px screen, 2.3 camera px per screen px, 7°', screenWidth: 720, cameraPixelsPerScreenPixel: 2.3, rotateDeg: 7, blurSigma: 1 },
];
