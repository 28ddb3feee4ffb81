/**
 * The 80 COCO object labels, spelled as the detector (human's CenterNet) reports them. Task files name
 * objects with these exact strings, so a typo is caught when the task is written, not when every
 * upload silently fails to contain a "persn".
 */
export const COCO_LABELS = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const;

export type CocoLabel = (typeof COCO_LABELS)[number];

const LABEL_SET: ReadonlySet<string> = new Set(COCO_LABELS);

export function isCocoLabel(value: string): value is CocoLabel {
  return LABEL_SET.has(value);
}

/** Levenshtein distance; the lists compared are short, so the quadratic version is fine. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Labels a task author probably meant: close spellings, and labels that contain the word or are
 * contained in it ("phone" → "cell phone", "people" has no match but "persons" → "person").
 */
export function closeCocoLabels(value: string, limit = 3): CocoLabel[] {
  const wanted = value.trim().toLowerCase();
  const scored = COCO_LABELS.map((label) => {
    const contains = wanted.length >= 3 && (label.includes(wanted) || wanted.includes(label));
    const distance = editDistance(wanted, label);
    return { label, rank: contains ? 0 : distance };
  });
  const budget = Math.max(1, Math.floor(wanted.length / 3));
  return scored
    .filter((s) => s.rank <= budget)
    .sort((a, b) => a.rank - b.rank)
    .slice(0, limit)
    .map((s) => s.label);
}
