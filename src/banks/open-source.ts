/**
 * Which bank source a CLI/API spec names: a folder, a URL list, a WARC(.gz), a hash CSV or an
 * http(s) URL (src/banks/sources, see its README). The importer's size limit is the media limit,
 * so nothing is downloaded that the pipeline would refuse to decode.
 */
import { openBankSource } from './sources/index.ts';
import type { BankSource } from './sources/types.ts';

export interface OpenSourceOptions {
  /** Only for tests against a local server: lets URL lists reach loopback and private addresses. */
  allowPrivateAddresses?: boolean;
  maxBytes?: number;
}

export async function openSource(spec: string, options: OpenSourceOptions = {}): Promise<BankSource> {
  return openBankSource(spec, {
    ...(options.allowPrivateAddresses ? { allowPrivateAddresses: true } : {}),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
  });
}
