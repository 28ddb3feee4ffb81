/**
 * Pull-based reads over a stream of chunks, so the WARC parser can take a header line, then exactly
 * Content-Length bytes, then skip a record without ever holding more than the record it wants.
 *
 * A stream error (a truncated or corrupt gzip member) ends the input like EOF and is kept in `error`:
 * the parser turns it into a `skipped` item instead of letting it escape as a crash.
 */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly iter: AsyncIterator<unknown>;
  private ended = false;
  /** Bytes consumed so far (offset in the decompressed stream), for messages about where a problem is. */
  position = 0;
  error: Error | undefined;

  constructor(source: AsyncIterable<unknown>) {
    this.iter = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    try {
      const step = await this.iter.next();
      if (step.done) {
        this.ended = true;
        return undefined;
      }
      const v = step.value;
      return Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array);
    } catch (err) {
      this.ended = true;
      this.error = err instanceof Error ? err : new Error(String(err));
      return undefined;
    }
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    while (this.buf.length === 0) {
      const next = await this.pull();
      if (!next) return true;
      this.buf = next;
    }
    return false;
  }

  /**
   * One line without its CR LF. `undefined` at EOF; `null` when no newline comes within `max` bytes
   * (garbage or a binary blob where a header should be: we refuse to buffer without bound).
   */
  async readLine(max: number): Promise<string | undefined | null> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0 && nl <= max) {
        const end = nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl;
        const line = this.buf.toString('utf8', 0, end);
        this.buf = this.buf.subarray(nl + 1);
        this.position += nl + 1;
        return line;
      }
      if (this.buf.length > max) return null;
      const next = await this.pull();
      if (!next) {
        if (this.buf.length === 0) return undefined;
        const line = this.buf.toString('utf8');
        this.position += this.buf.length;
        this.buf = Buffer.alloc(0);
        return line;
      }
      this.buf = this.buf.length === 0 ? next : Buffer.concat([this.buf, next]);
    }
  }

  /** Up to `n` bytes; fewer only at EOF. Collected as parts so a 50 MB read is not quadratic. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.buf.length === 0) {
        const next = await this.pull();
        if (!next) break;
        this.buf = next;
      }
      const take = Math.min(n - have, this.buf.length);
      parts.push(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      have += take;
    }
    this.position += have;
    return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts, have);
  }

  /** Discards up to `n` bytes without keeping them; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const next = await this.pull();
        if (!next) break;
        this.buf = next;
      }
      const take = Math.min(left, this.buf.length);
      this.buf = this.buf.subarray(take);
      left -= take;
    }
    this.position += n - left;
    return n - left;
  }

  /** Stops the underlying stream (early exit, abort). */
  async close(): Promise<void> {
    this.ended = true;
    await this.iter.return?.();
  }
}
