import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/index.ts';
import { isTollgateError } from '../../errors.ts';
import { pdqDihedral } from '../../fingerprint/pdq.ts';
import { PDQ_RASTER_MAX_SIDE } from '../../fingerprint/view.ts';
import { openMedia } from '../../media/open.ts';
import { fingerprintMedia } from '../../pipeline/fingerprints.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const HASH_HELP = `tollgate hash FILE [--json] [--dihedral]
  Prints the file's SHA-256 and perceptual hashes (PDQ with quality, pHash, dHash);
  --dihedral adds the PDQ of the 8 rotations and flips.`;

export async function hashCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, dihedral: { type: 'boolean' } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw usage('hash takes exactly one FILE');
  try {
    const view = await openMedia(await readFile(file), config.limits);
    const fingerprints = await fingerprintMedia(view);
    const output: Record<string, unknown> = { file, sha256: view.sha256, media: { type: view.info.kind, mime: view.info.mime }, fingerprints };
    if (values.dihedral) output['pdq_dihedral'] = pdqDihedral(await view.raster({ maxSide: PDQ_RASTER_MAX_SIDE, channels: 3 }));
    if (values.json) printJson(output);
    else {
      process.stdout.write(`sha256  ${view.sha256}\npdq     ${fingerprints.pdq?.hash} (quality ${fingerprints.pdq?.quality})\nphash   ${fingerprints.phash}\ndhash   ${fingerprints.dhash}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    const code = isTollgateError(error) ? error.code : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'input.not_found' : 'input.invalid';
    const message = error instanceof Error ? error.message : String(error);
    if (values.json) printJson({ file, error: { code, message } });
    else process.stderr.write(`${file}: ${code}: ${message}\n`);
    return EXIT.unreadable;
  }
}
