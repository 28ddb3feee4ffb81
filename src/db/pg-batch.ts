/**
 * Several statements in one round trip and one transaction on a node-postgres client.
 *
 * The extended query protocol lets a client write Parse/Bind/Describe/Execute for many statements and
 * end them with a single Sync. The server runs them in order in one implicit transaction: it commits at
 * the Sync when all succeeded, and when one fails it skips the rest and rolls the whole block back
 * (PostgreSQL protocol docs, "Extended Query" and "Pipelining"). Compared with BEGIN, N statements,
 * COMMIT as separate queries, that is one write and one wake-up of the backend instead of N + 2, which
 * on a virtual machine costs more CPU than most of the statements themselves.
 *
 * node-postgres accepts any object with `submit(connection)` as a query; this is one. Named statements
 * use the connection's bookkeeping of what it has parsed, so they are parsed once per connection like
 * node-postgres's own prepared queries.
 */
import pg from 'pg';
import { prepareValue } from 'pg/lib/utils.js';
import type { Row } from './database.ts';

export interface WireStatement {
  /** Set for statements prepared by name (parsed once per connection). */
  name?: string | undefined;
  text: string;
  values: readonly unknown[];
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format: string;
}

/** The parts of pg's Connection a pipelined batch writes to; @types/pg leaves the bookkeeping out. */
interface WireConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name?: string | undefined; types?: unknown[] }): void;
  bind(message: { portal: string; statement?: string | undefined; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows?: number }): void;
  sync(): void;
  on(event: 'parseComplete', listener: () => void): void;
  off(event: 'parseComplete', listener: () => void): void;
}

type Parser = (value: string) => unknown;

export class PipelinedBatch implements pg.Submittable {
  readonly results: Row[][] = [];
  readonly done: Promise<Row[][]>;
  #resolve!: (results: Row[][]) => void;
  #reject!: (error: Error) => void;
  #fields: FieldDescription[] = [];
  #parsers: Parser[] = [];
  #rows: Row[] = [];
  #failed: Error | undefined;
  /** Named statements written with a Parse whose ParseComplete has not arrived yet, in order. */
  #parsing: WireStatement[] = [];
  #connection: WireConnection | undefined;
  readonly #onParseComplete = (): void => {
    const statement = this.#parsing.shift();
    if (!statement?.name || !this.#connection) return;
    this.#connection.parsedStatements[statement.name] = statement.text;
    delete this.#connection.submittedNamedStatements[statement.name];
  };

  /** Statements in the batch (bench counters). */
  get size(): number {
    return this.statements.length;
  }

  constructor(private readonly statements: readonly WireStatement[]) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Called by the pg client when the connection is free; an error returned here fails the batch unsent. */
  submit(raw: pg.Connection): Error | undefined {
    const connection = raw as unknown as WireConnection;
    for (const statement of this.statements) {
      const known = statement.name && (connection.parsedStatements[statement.name] ?? connection.submittedNamedStatements[statement.name]);
      if (known && known !== statement.text) return new Error(`prepared statement ${statement.name} names two different texts`);
    }
    this.#connection = connection;
    connection.on('parseComplete', this.#onParseComplete);
    connection.stream.cork?.();
    try {
      for (const statement of this.statements) {
        const known = statement.name && (connection.parsedStatements[statement.name] ?? connection.submittedNamedStatements[statement.name]);
        if (!known) {
          connection.parse({ text: statement.text, name: statement.name });
          if (statement.name) connection.submittedNamedStatements[statement.name] = statement.text;
          this.#parsing.push(statement);
        }
        connection.bind({ portal: '', statement: statement.name, values: statement.values, valueMapper: prepareValue });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return undefined;
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    this.#fields = message.fields;
    this.#parsers = message.fields.map((field) => pg.types.getTypeParser(field.dataTypeID, field.format === 'binary' ? 'binary' : 'text') as Parser);
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    const row: Row = {};
    for (let i = 0; i < this.#fields.length; i++) {
      const value = message.fields[i];
      row[this.#fields[i]!.name] = value === null || value === undefined ? null : this.#parsers[i]!(value);
    }
    this.#rows.push(row);
  }

  handleCommandComplete(): void {
    this.#finishStatement();
  }

  handleEmptyQuery(): void {
    this.#finishStatement();
  }

  /** The server skipped everything after the failed statement and will roll the block back at the Sync. */
  handleError(error: Error): void {
    this.#failed ??= error;
    this.#release(true);
    this.#reject(this.#failed);
  }

  handleReadyForQuery(): void {
    this.#release(false);
    if (this.#failed) this.#reject(this.#failed);
    else this.#resolve(this.results);
  }

  #finishStatement(): void {
    this.results.push(this.#rows);
    this.#rows = [];
    this.#fields = [];
    this.#parsers = [];
  }

  #release(failed: boolean): void {
    const connection = this.#connection;
    if (!connection) return;
    connection.off('parseComplete', this.#onParseComplete);
    // Statements after a failure were never parsed: forget them so the next use parses them again.
    if (failed) for (const statement of this.#parsing) if (statement.name) delete connection.submittedNamedStatements[statement.name];
    this.#parsing = [];
    this.#connection = undefined;
  }
}
