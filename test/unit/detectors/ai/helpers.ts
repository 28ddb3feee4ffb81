import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_LOOKUPS, type DetectorContext } from '../../../../src/detectors/types.ts';

/** The shared corpora (`../shared/data` next to the repository). Tests skip only when it is absent. */
export const DATA = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../../shared/data');
export const HAS_DATA = existsSync(DATA);

export function context(): DetectorContext {
  return { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal };
}

export interface ManifestRow {
  file: string;
  label: string;
  tool: string;
}

export function aiManifest(): ManifestRow[] {
  const text = readFileSync(join(DATA, 'ai-generator-metadata/manifest.csv'), 'utf8').trim();
  return text
    .split('\n')
    .slice(1)
    .map((line) => {
      // Labels may contain commas inside parentheses; the file is the first field, the tool the third-last.
      const parts = line.split(',');
      const file = parts[0] ?? '';
      const tool = parts[parts.length - 4] ?? '';
      const label = parts.slice(1, parts.length - 4).join(',');
      return { file, label, tool };
    });
}

/** Labels meaning "the file itself was made or edited by a generator". */
export function isAiLabel(label: string): boolean {
  return /^ai_/.test(label);
}

export function walk(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, pattern) : pattern.test(name) ? [path] : [];
  });
}

export function read(relative: string): Buffer {
  return readFileSync(join(DATA, relative));
}
