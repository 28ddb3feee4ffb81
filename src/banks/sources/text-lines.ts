import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Lines of a text file with 1-based numbers, streamed: URL and hash lists run to millions of lines, and
 * reporting a bad row by its line number is what lets a user fix the file.
 */
export async function* readLines(path: string): AsyncGenerator<{ line: string; n: number }> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of rl) {
      n++;
      // A BOM from spreadsheet exports would otherwise glue itself to the first field.
      const line = n === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      yield { line, n };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/**
 * Fields of one CSV line (RFC 4180 quoting, `""` inside quotes). Returns undefined for an unbalanced
 * quote; quoted fields spanning lines are not supported, since neither list format needs them.
 */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) return undefined;
  fields.push(field.trim());
  return fields;
}

/** Blank lines and `#` comments carry no entry in either list format. */
export function isIgnorable(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}
