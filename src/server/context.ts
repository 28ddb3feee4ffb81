import type { Tollgate } from '../app.ts';
import type { ServerMetrics } from './metrics.ts';
import type { VerdictWatcher } from './verdicts.ts';

/** What every route module receives: the composition root plus the server's own shared parts. */
export interface ServerContext {
  tollgate: Tollgate;
  metrics: ServerMetrics;
  verdicts: VerdictWatcher;
  /** Upper bound for `?wait=MS`, so a client cannot hold a connection open indefinitely. */
  maxWaitMs: number;
  /** Review claims expire after this many seconds unless the client asks for another duration. */
  claimTtlSeconds: number;
}
