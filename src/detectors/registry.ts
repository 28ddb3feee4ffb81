import { TollgateError } from '../errors.ts';
import type { Detector } from './types.ts';

/** Holds the detectors a process runs; names are unique so evidence and metrics can refer to them. */
export class DetectorRegistry {
  readonly #detectors = new Map<string, Detector>();

  constructor(detectors: readonly Detector[] = []) {
    for (const detector of detectors) this.register(detector);
  }

  register(detector: Detector): this {
    if (this.#detectors.has(detector.name)) throw new TollgateError('input.conflict', `detector ${detector.name} is registered twice`);
    this.#detectors.set(detector.name, detector);
    return this;
  }

  list(): Detector[] {
    return [...this.#detectors.values()];
  }

  /** Every signal code the registered detectors may emit, sorted (for the README catalogue and the API docs). */
  codes(): string[] {
    return [...new Set(this.list().flatMap((d) => d.codes))].sort();
  }
}
