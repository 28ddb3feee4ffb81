import { BMFF, JPEG, PNG, type Asset } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ActionAssertion, IngredientAssertion, ManifestStore, MetadataAssertion, type Manifest } from '@trustnxt/c2pa-ts/manifest';
import type { MediaView } from '../../media/types.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import { matchDigitalSourceType } from './generators.ts';

/**
 * C2PA Content Credentials: read and validate the manifest store, then say what it claims.
 *
 * Validity follows c2patool (checked against its reports on the C2PA public test files):
 * - every failure of the active manifest counts, except `assertion.action.ingredientMismatch`, a
 *   C2PA 2.x linkage rule that 1.x manifests (most files in the wild) cannot satisfy;
 * - in ingredient manifests only tampered assertions (`assertion.hashedURI.mismatch`) count: their
 *   hard bindings point at the original asset, and their signature state was recorded when ingested.
 * Trust lists are not checked (c2pa-ts has no chain-of-trust validation yet), so "valid" means
 * "intact and signed", not "signed by someone we trust".
 */

export type C2paState = 'absent' | 'valid' | 'invalid';

export interface C2paReport {
  state: C2paState;
  /** Failure codes that made it invalid. */
  failures: string[];
  claimGenerator?: string;
  /** Generative indicators: digitalSourceType codes or generator names, with where they were found. */
  generative: Array<{ indicator: string; where: 'active' | 'ingredient'; kind: 'generated' | 'composite' }>;
  capture?: { make?: string; model?: string; claimGenerator: string };
  error?: string;
}

const IGNORED_ACTIVE = new Set(['assertion.action.ingredientMismatch']);
const INGREDIENT_FAILURES = new Set(['assertion.hashedURI.mismatch']);

/** Claim generators / software agents that only produce generated media. Google and Samsung also sign camera captures, so they only count through digitalSourceType. */
const GENERATIVE_AGENTS = /openai|chatgpt|dall[\s·.\-]?e|sora|gpt-?4o|firefly|bing image creator|microsoft designer|image creator|azure openai|midjourney|stability\.?ai|dreamstudio|leonardo|ideogram|runway|imagen|gemini/i;
const CAPTURE_AGENTS = /truepic|leica|nikon|sony|canon|fujifilm|pixel camera|samsung camera|proofmode|click camera/i;

function assetFor(bytes: Uint8Array): Asset | null {
  if (JPEG.canRead(bytes)) return new JPEG(bytes);
  if (PNG.canRead(bytes)) return new PNG(bytes);
  if (BMFF.canRead(bytes)) return new BMFF(bytes);
  return null;
}

export async function readC2pa(bytes: Uint8Array): Promise<C2paReport> {
  let asset: Asset | null;
  let jumbf: Uint8Array | undefined;
  try {
    asset = assetFor(bytes);
    jumbf = asset?.getManifestJUMBF();
  } catch (error) {
    return { state: 'absent', failures: [], generative: [], error: `container unreadable: ${(error as Error).message}` };
  }
  if (!asset || !jumbf) return { state: 'absent', failures: [], generative: [] };
  let store: ManifestStore;
  try {
    store = ManifestStore.read(SuperBox.fromBuffer(new Uint8Array(jumbf)));
  } catch (error) {
    return { state: 'invalid', failures: ['manifest.malformed'], generative: [], error: (error as Error).message };
  }
  const active = store.getActiveManifest();
  if (!active) return { state: 'invalid', failures: ['claim.missing'], generative: [] };
  const failures: string[] = [];
  for (const manifest of store.manifests) {
    const isActive = manifest === active;
    try {
      const result = await manifest.validate(asset);
      for (const entry of result.statusEntries) {
        if (entry.success) continue;
        if (isActive ? !IGNORED_ACTIVE.has(entry.code) : INGREDIENT_FAILURES.has(entry.code)) failures.push(entry.code);
      }
    } catch (error) {
      if (isActive) failures.push(`validation.error: ${(error as Error).message}`);
    }
  }
  const claimGenerator = generatorName(active);
  const generative = store.manifests.flatMap((m) => generativeIndicators(m, m === active ? 'active' : 'ingredient'));
  const report: C2paReport = { state: failures.length ? 'invalid' : 'valid', failures: [...new Set(failures)], claimGenerator, generative };
  const capture = captureOf(active, claimGenerator);
  if (capture && report.state === 'valid' && generative.length === 0) report.capture = capture;
  return report;
}

function generatorName(manifest: Manifest): string {
  const claim = manifest.claim;
  return [claim?.claimGeneratorName, claim?.claimGeneratorInfo].filter((s): s is string => typeof s === 'string' && s.length > 0).join(' ');
}

function generativeIndicators(manifest: Manifest, where: 'active' | 'ingredient'): C2paReport['generative'] {
  const out: C2paReport['generative'] = [];
  // Anything generative inside an ingredient makes this asset at most a composite.
  const kindFor = (kind: 'generated' | 'composite'): 'generated' | 'composite' => (where === 'active' ? kind : 'composite');
  const name = generatorName(manifest);
  if (GENERATIVE_AGENTS.test(name)) out.push({ indicator: `claim generator ${name}`, where, kind: kindFor('generated') });
  for (const assertion of manifest.assertions?.assertions ?? []) {
    if (!(assertion instanceof ActionAssertion)) continue;
    for (const action of assertion.actions) {
      const type = action.digitalSourceType ? matchDigitalSourceType(action.digitalSourceType === 'c2pa.trainedAlgorithmicData' ? 'trainedAlgorithmicMedia' : action.digitalSourceType) : null;
      if (type) out.push({ indicator: `${action.action} digitalSourceType ${type.code}`, where, kind: kindFor(type.kind) });
      const agent = action.softwareAgent?.name;
      if (agent && GENERATIVE_AGENTS.test(agent)) out.push({ indicator: `${action.action} by ${agent}`, where, kind: kindFor('generated') });
    }
  }
  return out;
}

function captureOf(manifest: Manifest, claimGenerator: string): C2paReport['capture'] | undefined {
  const assertions = manifest.assertions?.assertions ?? [];
  if (assertions.some((a) => a instanceof IngredientAssertion)) return undefined;
  let make: string | undefined;
  let model: string | undefined;
  let capturedAction = false;
  for (const a of assertions) {
    if (a instanceof MetadataAssertion && a.label.startsWith('stds.exif')) {
      for (const e of a.entries) {
        if (e.name === 'Make' && typeof e.value === 'string') make = e.value;
        if (e.name === 'Model' && typeof e.value === 'string') model = e.value;
      }
    }
    if (a instanceof ActionAssertion) {
      capturedAction ||= a.actions.some((x) => x.action === 'c2pa.created' && /digitalCapture$/.test(x.digitalSourceType ?? ''));
    }
  }
  if (capturedAction || make || model || CAPTURE_AGENTS.test(claimGenerator)) return { make, model, claimGenerator };
  return undefined;
}

export function c2paSignals(report: C2paReport): Signal[] {
  const signals: Signal[] = [];
  if (report.state === 'absent') return signals;
  if (report.state === 'invalid') {
    signals.push({
      code: 'meta.c2pa_invalid',
      score: 0.9,
      severity: 'high',
      message: `C2PA manifest is present but fails validation: ${report.failures.join(', ') || report.error || 'unknown'}`,
      evidence: { failures: report.failures, claimGenerator: report.claimGenerator, ...(report.error ? { error: report.error } : {}) },
    });
  }
  if (report.generative.length > 0) {
    const generated = report.generative.find((g) => g.kind === 'generated');
    const best = generated ?? (report.generative[0] as C2paReport['generative'][number]);
    // A broken signature means the claim might be forged, but a forger rarely *adds* an AI label.
    const score = best.kind === 'generated' ? 0.97 : 0.85;
    signals.push({
      code: 'ai.c2pa_generative',
      score,
      severity: 'high',
      message: `C2PA manifest declares ${best.kind === 'generated' ? 'AI-generated' : 'partly AI-generated'} content: ${best.indicator}`,
      evidence: { kind: best.kind, indicators: report.generative.map((g) => `${g.where}: ${g.indicator}`), claimGenerator: report.claimGenerator, valid: report.state === 'valid' },
    });
  }
  if (report.capture) {
    const device = [report.capture.make, report.capture.model].filter(Boolean).join(' ');
    signals.push({
      code: 'provenance.c2pa_capture',
      // Certainty that this is a signed capture; policy weighs this code *against* ai/tampering scores.
      score: 0.9,
      severity: 'info',
      message: `signed C2PA capture${device ? ` from ${device}` : ''} by ${report.capture.claimGenerator}`,
      evidence: { ...report.capture, contribution: 'negative' },
    });
  }
  return signals;
}

export const c2paDetector: Detector = {
  name: 'ai.c2pa',
  codes: ['ai.c2pa_generative', 'meta.c2pa_invalid', 'provenance.c2pa_capture'],
  kinds: ['image', 'video'],
  async detect(view: MediaView, _context: DetectorContext): Promise<Signal[]> {
    return c2paSignals(await readC2pa(view.bytes));
  },
};
