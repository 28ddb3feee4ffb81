/** A one-line progress bar on stderr, only when stderr is a terminal (CI logs and pipes stay clean). */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = Date.now();
  #done = 0;
  #lastDraw = 0;

  constructor(total: number, label: string, enabled = Boolean(process.stderr.isTTY)) {
    this.#total = total;
    this.#label = label;
    this.#enabled = enabled;
  }

  tick(note = ''): void {
    this.#done++;
    const now = Date.now();
    if (!this.#enabled || (now - this.#lastDraw < 80 && this.#done < this.#total)) return;
    this.#lastDraw = now;
    const width = 30;
    const fraction = this.#total === 0 ? 1 : this.#done / this.#total;
    const filled = Math.round(fraction * width);
    const rate = this.#done / Math.max(0.001, (now - this.#started) / 1000);
    const eta = rate > 0 ? Math.round((this.#total - this.#done) / rate) : 0;
    const line = `${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total} ${rate.toFixed(1)}/s eta ${eta}s ${note}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 100) - 1).padEnd(Math.min(100, (process.stderr.columns ?? 100) - 1))}`);
  }

  finish(): void {
    if (this.#enabled) process.stderr.write('\n');
  }
}
