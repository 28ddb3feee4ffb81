import { createTollgate } from '../../app.ts';
import { describeConfig, type Config } from '../../config/index.ts';
import { EXIT } from '../io.ts';
import { startWorkerProcesses, type WorkerPool } from '../../jobs/worker-processes.ts';

export const SERVE_HELP = `tollgate serve
  Starts the HTTP API and in-process workers (embedded PGlite under ./.tollgate unless DATABASE_URL is set).
  With DATABASE_URL, TOLLGATE_WORKER_PROCESSES=N also starts and supervises N worker processes.`;
export const WORKER_HELP = `tollgate worker
  Starts workers only, to scale out processing on the same database and blob store.`;

/** Resolves when the process receives SIGINT or SIGTERM, after a graceful stop. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.stderr.write(`${signal}: stopping gracefully\n`);
      stop().then(
        () => resolve(EXIT.ok),
        () => resolve(EXIT.failure),
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

export async function serveCommand(_argv: string[], config: Config): Promise<number> {
  const tollgate = await createTollgate(config, { startAnalysisEarly: true });
  await tollgate.startWorkers();
  // Loaded here so the other commands do not pay for Fastify at start-up.
  const { buildServer } = await import('../../server/app.ts');
  const server = await buildServer(tollgate);
  const address = await server.listen({ host: config.server.host, port: config.server.port });
  process.stderr.write(`${describeConfig(config)}\ntollgate listening on ${address} (docs at ${address}/docs)\n`);
  const pool = startPool(config);
  return untilSignal(async () => {
    await pool?.stop();
    await server.close();
    await tollgate.close();
  });
}

function startPool(config: Config): WorkerPool | undefined {
  if (config.workers.processes === 0) return undefined;
  if (config.database.kind !== 'postgres') {
    process.stderr.write('TOLLGATE_WORKER_PROCESSES needs DATABASE_URL: the embedded database belongs to this process alone\n');
    return undefined;
  }
  return startWorkerProcesses(config.workers.processes, process.env, (line) => process.stderr.write(`${line}\n`));
}

export async function workerCommand(_argv: string[], config: Config): Promise<number> {
  const tollgate = await createTollgate(config, { startAnalysisEarly: true });
  await tollgate.startWorkers({
    onError: (id, error, final) => process.stderr.write(`upload ${id}: ${error.message}${final ? ' (final attempt)' : ' (will retry)'}\n`),
  });
  process.stderr.write(`tollgate worker started (concurrency ${config.workers.concurrency}, database ${config.database.kind})\n`);
  return untilSignal(() => tollgate.close());
}
