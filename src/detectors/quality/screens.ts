/**
 * Native screen resolutions (physical pixels, portrait or landscape as a screenshot comes out) of common
 * devices. A screenshot is saved at exactly the screen's resolution, while a camera writes its sensor
 * size (4032×3024, 4000×3000, …), so an exact match is evidence and a near miss is not.
 * Sources: Apple's "Device screen sizes" tables in the Human Interface Guidelines, the vendors' spec
 * pages, and the StatCounter lists of the most used desktop resolutions.
 */
export type ScreenClass = 'phone' | 'tablet' | 'desktop';

const PHONES: ReadonlyArray<readonly [number, number]> = [
  // iPhone SE 1st gen … iPhone 16 Pro Max
  [640, 1136], [750, 1334], [1242, 2208], [1125, 2436], [828, 1792], [1242, 2688], [1080, 2340],
  [1170, 2532], [1284, 2778], [1179, 2556], [1290, 2796], [1206, 2622], [1320, 2868],
  // Android: common panels (Samsung Galaxy S/A, Pixel, Xiaomi, OnePlus)
  [720, 1520], [720, 1600], [1080, 2160], [1080, 2220], [1080, 2280], [1080, 2400], [1080, 2408],
  [1080, 2412], [1440, 2560], [1440, 2960], [1440, 3040], [1440, 3088], [1440, 3120], [1440, 3200], [1080, 2316],
  [1008, 2244], [1116, 2484], [1344, 2992], [1280, 2856], [1220, 2712], [1240, 2772], [1260, 2800],
];

const TABLETS: ReadonlyArray<readonly [number, number]> = [
  [1536, 2048], [1620, 2160], [1668, 2224], [1668, 2388], [1640, 2360], [1488, 2266], [2048, 2732], [1200, 1920],
  [1600, 2560], [1800, 2880], [1752, 2800], [1848, 2960],
];

const DESKTOPS: ReadonlyArray<readonly [number, number]> = [
  [1280, 800], [1280, 1024], [1366, 768], [1440, 900], [1536, 864], [1600, 900], [1680, 1050],
  [1920, 1200], [2560, 1080], [2560, 1440], [2560, 1600], [2560, 1664], [2736, 1824], [2880, 1800], [2880, 1864],
  [2880, 1920], [2940, 1912], [3024, 1964], [3440, 1440], [3456, 2234], [3840, 2400], [5120, 2880],
];

/**
 * 1280×720, 1920×1080 and 3840×2160 (and their portrait forms) are left out on purpose: they are also what
 * cameras write for 16:9 video frames and many phones' 16:9 photo modes, so matching them would say nothing.
 */
const TABLE: ReadonlyMap<string, ScreenClass> = new Map([
  ...PHONES.map(([w, h]) => [`${w}x${h}`, 'phone'] as const),
  ...TABLETS.map(([w, h]) => [`${w}x${h}`, 'tablet'] as const),
  ...DESKTOPS.map(([w, h]) => [`${w}x${h}`, 'desktop'] as const),
]);

/** The device class whose screen is exactly `width`×`height` in either orientation, if any. */
export function screenClassOf(width: number, height: number): ScreenClass | undefined {
  return TABLE.get(`${width}x${height}`) ?? TABLE.get(`${height}x${width}`);
}

export const SCREEN_RESOLUTION_COUNT = TABLE.size;
