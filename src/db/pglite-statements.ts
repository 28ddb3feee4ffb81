/**
 * Prepared statements for PGlite. `PGlite.query` parses, plans and describes its statement on every
 * call and crosses into WebAssembly six times doing it; here each statement text is parsed and
 * described once, under a name, and then every run is one crossing: Bind and Execute for each
 * statement and one Sync. A batch is several Bind/Execute pairs before that Sync, which PostgreSQL runs
 * as one implicit transaction (all commit or none), as the PostgreSQL backend's batch does.
 *
 * The caller holds PGlite's query mutex (and its transaction mutex when outside a transaction).
 */
import { protocol, types, type PGlite, type messages } from '@electric-sql/pglite';
import type { Row, Statement } from './database.ts';

interface Field {
  name: string;
  dataTypeID: number;
}

interface Prepared {
  name: string;
  paramTypes: readonly number[];
  /** Empty when the statement returns no rows. */
  fields: readonly Field[];
}

/** Most statement texts kept prepared; past this the least recently used one is closed. */
const MAX_PREPARED = 512;

/**
 * SQLSTATEs that mean a prepared statement is stale or gone ("cached plan must not change result type",
 * an unknown name), so every text is parsed again under a new name; the old names stay with the session.
 */
const STALE_STATEMENT = new Set(['0A000', '26000']);

const wire = protocol.serialize;

export class PgliteStatements {
  readonly #pg: PGlite;
  readonly #prepared = new Map<string, Prepared>();
  #nextName = 0;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  /**
   * Runs the statements in order, as one implicit transaction, and returns each one's rows. A statement
   * whose prepared form went stale (a table it reads changed shape) is parsed again and the run repeated,
   * unless an explicit transaction is open: the failed run changed nothing, but that transaction is aborted.
   */
  async run(statements: readonly Statement[]): Promise<Row[][]> {
    try {
      return await this.#runPrepared(statements);
    } catch (error) {
      if (!isStale(error)) throw error;
      this.#prepared.clear();
      if (this.#pg.isInTransaction()) throw error;
      return this.#runPrepared(statements);
    }
  }

  async #runPrepared(statements: readonly Statement[]): Promise<Row[][]> {
    const prepared: Prepared[] = [];
    for (const s of statements) prepared.push(await this.#prepare(s.sql));
    const outgoing: Uint8Array[] = [];
    statements.forEach((s, i) => {
      const p = prepared[i]!;
      outgoing.push(wire.bind({ statement: p.name, values: this.#values(p, s.params ?? []) }), wire.execute({}));
    });
    outgoing.push(wire.sync());
    return this.#rows(await this.#pg.execProtocolStream(concat(outgoing), { syncToFs: false }), prepared);
  }

  async #prepare(sql: string): Promise<Prepared> {
    const known = this.#prepared.get(sql);
    if (known) {
      // Most recently used last, so eviction takes the coldest.
      this.#prepared.delete(sql);
      this.#prepared.set(sql, known);
      return known;
    }
    if (this.#prepared.size >= MAX_PREPARED) await this.#evictOldest();
    const name = `tg${this.#nextName++}`;
    const replies = await this.#pg.execProtocolStream(
      concat([wire.parse({ name, text: sql }), wire.describe({ type: 'S', name }), wire.sync()]),
      { syncToFs: false },
    );
    let paramTypes: readonly number[] = [];
    let fields: readonly Field[] = [];
    for (const reply of replies) {
      if (reply instanceof protocol.messages.ParameterDescriptionMessage) paramTypes = reply.dataTypeIDs;
      else if (reply instanceof protocol.messages.RowDescriptionMessage) fields = reply.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    }
    const prepared = { name, paramTypes, fields };
    this.#prepared.set(sql, prepared);
    return prepared;
  }

  async #evictOldest(): Promise<void> {
    const [sql, oldest] = this.#prepared.entries().next().value as [string, Prepared];
    this.#prepared.delete(sql);
    await this.#pg.execProtocolStream(concat([wire.close({ type: 'S', name: oldest.name }), wire.sync()]), { syncToFs: false });
  }

  /** Parameters in text form, converted by the statement's parameter types as `PGlite.query` does. */
  #values(p: Prepared, params: readonly unknown[]): (string | null)[] {
    return params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serialize = this.#pg.serializers[p.paramTypes[i] ?? 0];
      return serialize ? (serialize(param) as string) : String(param);
    });
  }

  /** Splits the replies by statement: each statement's rows follow its BindComplete. */
  #rows(replies: readonly messages.BackendMessage[], prepared: readonly Prepared[]): Row[][] {
    const results: Row[][] = [];
    let current: Row[] | undefined;
    let fields: readonly Field[] = [];
    for (const reply of replies) {
      if (reply.name === 'bindComplete') {
        current = [];
        fields = prepared[results.length]!.fields;
        results.push(current);
      } else if (reply instanceof protocol.messages.DataRowMessage && current) {
        const row: Row = {};
        reply.fields.forEach((value, i) => {
          const field = fields[i]!;
          row[field.name] = types.parseType(value, field.dataTypeID, this.#pg.parsers);
        });
        current.push(row);
      }
    }
    return results;
  }
}

function isStale(error: unknown): boolean {
  return typeof error === 'object' && error !== null && STALE_STATEMENT.has(String((error as { code?: unknown }).code));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
