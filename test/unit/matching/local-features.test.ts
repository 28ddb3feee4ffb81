import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_MIN_INLIERS } from '../../../src/config/index.ts';
import { mulberry32 } from '../../../src/fingerprint/keypoints/brief.ts';
import { extractKeypoints, extractKeypointsAndMirror, KEYPOINT_RASTER_SIDE, type KeypointSet } from '../../../src/fingerprint/keypoints/extract.ts';
import { decodeKeypoints, encodeKeypoints } from '../../../src/fingerprint/keypoints/format.ts';
import { DescriptorIndex } from '../../../src/matching/local/descriptor-index.ts';
import { verifyCandidates } from '../../../src/matching/local/indexes.ts';
import { verifyPair } from '../../../src/matching/local/verify.ts';
import { openMedia } from '../../../src/media/open.ts';

const PHOTOS = '../shared/data/object-photos';
const photo = (name: string): Buffer => readFileSync(`${PHOTOS}/${name}`);

async function keypoints(bytes: Buffer): Promise<KeypointSet> {
  const view = await openMedia(bytes);
  return extractKeypoints(await view.raster({ maxSide: KEYPOINT_RASTER_SIDE, channels: 1 }));
}

/** The copies a fraudster makes, built from the original with sharp. */
async function copies(original: Buffer): Promise<Record<string, Buffer>> {
  const { width, height } = await sharp(original).metadata();
  const w = width!;
  const h = height!;
  const caption = Buffer.from(
    `<svg width="${w}" height="${h}"><rect x="0" y="${Math.round(h * 0.78)}" width="${w}" height="${Math.round(h * 0.16)}" fill="black" fill-opacity="0.6"/>` +
      `<text x="${Math.round(w / 2)}" y="${Math.round(h * 0.9)}" font-size="${Math.round(h / 12)}" text-anchor="middle" fill="white" font-family="sans-serif">SOLD OUT · DM FOR PRICE</text></svg>`,
  );
  // A phone screenshot: status bar, app header and tab bar around the picture, shrunk to the screen width.
  const screenW = 1080;
  const screenH = 2340;
  const pictureW = 1000;
  const pictureH = Math.round((h * pictureW) / w);
  const picture = await sharp(original).resize(pictureW, pictureH).toBuffer();
  const bar = (height: number, colour: string): Buffer => Buffer.from(`<svg width="${screenW}" height="${height}"><rect width="${screenW}" height="${height}" fill="${colour}"/></svg>`);
  return {
    crop50: await sharp(original).extract({ left: Math.round(w * 0.3), top: Math.round(h * 0.2), width: Math.round(w / 2), height: Math.round(h / 2) }).jpeg().toBuffer(),
    overlayText: await sharp(original).composite([{ input: caption }]).jpeg({ quality: 80 }).toBuffer(),
    rotate17: await sharp(original).rotate(17, { background: '#ffffff' }).jpeg().toBuffer(),
    screenshot: await sharp({ create: { width: screenW, height: screenH, channels: 3, background: '#f4f4f4' } })
      .composite([
        { input: bar(90, '#202020'), top: 0, left: 0 },
        { input: bar(160, '#3b5998'), top: 90, left: 0 },
        { input: picture, top: 600, left: 40 },
        { input: bar(180, '#ffffff'), top: screenH - 180, left: 0 },
      ])
      .png()
      .toBuffer(),
  };
}

describe('local features', () => {
  it('are deterministic and survive their storage format', async () => {
    const a = await keypoints(photo('horses.jpg'));
    const b = await keypoints(photo('horses.jpg'));
    expect(a.count).toBeGreaterThan(200);
    expect(a.count).toBeLessThanOrEqual(500);
    expect(b.descriptors).toEqual(a.descriptors);
    const back = decodeKeypoints(encodeKeypoints(a));
    expect(back.count).toBe(a.count);
    expect(back.descriptors).toEqual(a.descriptors);
    expect(back.x).toEqual(a.x);
    expect(back.angle).toEqual(a.angle);
    expect(() => decodeKeypoints(encodeKeypoints(a).subarray(0, 100))).toThrow(/keypoint set/);
  });

  it('verify heavy crops, overlays, rotation and screenshots of the same photo', async () => {
    const original = photo('horses.jpg');
    const reference = await keypoints(original);
    for (const [name, bytes] of Object.entries(await copies(original))) {
      const v = verifyPair(await keypoints(bytes), reference);
      expect(v, name).not.toBeNull();
      expect(v!.inliers, name).toBeGreaterThanOrEqual(DEFAULT_LOCAL_MIN_INLIERS * 2);
    }
  });

  it('find no geometric agreement between different photos', async () => {
    const names = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg', 'kite.jpg', 'person.jpg', 'scream.jpg'];
    const sets = await Promise.all(names.map(async (n) => keypoints(photo(n))));
    for (let i = 0; i < sets.length; i++) {
      for (let j = i + 1; j < sets.length; j++) {
        const inliers = verifyPair(sets[i]!, sets[j]!)?.inliers ?? 0;
        expect(inliers, `${names[i]} vs ${names[j]}`).toBeLessThan(DEFAULT_LOCAL_MIN_INLIERS);
      }
    }
  });

  it('index votes the right image first and verifies only real copies', async () => {
    const names = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg', 'kite.jpg', 'person.jpg'];
    const index = new DescriptorIndex();
    for (const [i, n] of names.entries()) index.add(i + 1, await keypoints(photo(n)));
    expect(index.size).toBe(names.length);
    const { screenshot, crop50 } = await copies(photo('kite.jpg'));
    for (const copy of [screenshot!, crop50!]) {
      const hits = verifyCandidates(index, await keypoints(copy), DEFAULT_LOCAL_MIN_INLIERS);
      expect(hits.map((h) => h.id)).toEqual([5]);
    }
    expect(verifyCandidates(index, await keypoints(photo('scream.jpg')), DEFAULT_LOCAL_MIN_INLIERS)).toEqual([]);
  });

  it('keeps finding the copy as the index grows past its key-length changes, and nothing for an unrelated photo', async () => {
    const others = await Promise.all(['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg', 'person.jpg'].map(async (n) => keypoints(photo(n))));
    const index = new DescriptorIndex();
    index.add(0, await keypoints(photo('kite.jpg')));
    const { crop50, screenshot } = await copies(photo('kite.jpg'));
    const queries = [await keypoints(crop50!), await keypoints(screenshot!)];
    const unrelated = await keypoints(photo('scream.jpg'));
    // Distinct images with real descriptor statistics: the other photos with a tenth of their bits flipped.
    const rand = mulberry32(7);
    for (let id = 1; index.descriptorCount < 300_000; id++) {
      const base = others[id % others.length]!;
      const descriptors = base.descriptors.map((word) => (word ^ (rand() < 0.5 ? 1 << Math.floor(rand() * 32) : 0) ^ (rand() < 0.5 ? 1 << Math.floor(rand() * 32) : 0) ^ (rand() < 0.5 ? 1 << Math.floor(rand() * 32) : 0)) >>> 0);
      index.add(id, { ...base, descriptors });
      if (id === 50 || index.descriptorCount >= 300_000) {
        for (const q of queries) expect(verifyCandidates(index, q, DEFAULT_LOCAL_MIN_INLIERS).map((h) => h.id), `${index.size} images`).toEqual([0]);
        expect(verifyCandidates(index, unrelated, DEFAULT_LOCAL_MIN_INLIERS), `${index.size} images`).toEqual([]);
      }
    }
    // Past 8 descriptors per bucket of 2^14 keys the index re-keyed, and the score floor is in force.
    expect(index.size).toBeGreaterThan(500);
  });

  it('finds a mirrored heavy crop through the mirrored keypoints, which describe the points as the mirror image has them', async () => {
    const original = photo('horses.jpg');
    const index = new DescriptorIndex();
    for (const [i, n] of ['dog.jpg', 'horses.jpg', 'kite.jpg'].entries()) index.add(i + 1, await keypoints(photo(n)));
    const { width = 0, height = 0 } = await sharp(original).metadata();
    const middle = { left: Math.round(width / 4), top: Math.round(height / 4), width: Math.round(width / 2), height: Math.round(height / 2) };
    const raster = async (bytes: Buffer) => (await openMedia(bytes)).raster({ maxSide: KEYPOINT_RASTER_SIDE, channels: 1 });
    const mirrored = extractKeypointsAndMirror(await raster(await sharp(original).flop().extract(middle).jpeg().toBuffer()));
    expect(mirrored.keypoints.descriptors).toEqual(extractKeypoints(await raster(await sharp(original).flop().extract(middle).jpeg().toBuffer())).descriptors);
    expect(verifyCandidates(index, mirrored.keypoints, DEFAULT_LOCAL_MIN_INLIERS)).toEqual([]);
    const hits = verifyCandidates(index, mirrored.keypoints, DEFAULT_LOCAL_MIN_INLIERS, mirrored.mirrored);
    expect(hits).toMatchObject([{ id: 2, mirrored: true }]);
    expect(hits[0]!.inliers).toBeGreaterThanOrEqual(DEFAULT_LOCAL_MIN_INLIERS * 2);
    // A copy that is not mirrored is found directly, and the mirrored set is not consulted.
    const plain = extractKeypointsAndMirror(await raster(await sharp(original).extract(middle).jpeg().toBuffer()));
    expect(verifyCandidates(index, plain.keypoints, DEFAULT_LOCAL_MIN_INLIERS, plain.mirrored).map((h) => [h.id, h.mirrored])).toEqual([[2, undefined]]);
    const unrelated = extractKeypointsAndMirror(await raster(photo('scream.jpg')));
    expect(verifyCandidates(index, unrelated.keypoints, DEFAULT_LOCAL_MIN_INLIERS, unrelated.mirrored)).toEqual([]);
  });
});
