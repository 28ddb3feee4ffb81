/** Public API of the fingerprint module (kept stable: detectors, banks and the CLI integrate it). */
export { bitsToHex, hammingBigInt, hammingHex, hammingWords, hexToBigInt, hexToWords, popcount32, wordsToHex } from './bits.ts';
export { PDQ_DIHEDRAL_NAMES, PDQ_MIN_DIMENSION, PDQ_MIN_QUALITY, lumaFromRaster, pdqDihedral, pdqFromLuma, pdqFromRaster, type PdqDihedralName, type PdqHash } from './pdq.ts';
export { dhash, phash } from './phash.ts';
export { HammingIndex, type HammingIndexOptions, type HammingMatch } from './mih.ts';
export { fingerprintView, PDQ_RASTER_MAX_SIDE, type Fingerprints } from './view.ts';
export { collapseConsecutive, VPDQ_DISTANCE, VPDQ_QUALITY, vpdqFromFrames, vpdqFromView, vpdqMatch, type VpdqFrame, type VpdqMatch } from './vpdq.ts';
export { KeyedHammingIndex, type KeyedMatch } from './keyed-index.ts';
