/**
 * An analysis thread: builds the configured detectors once, then analyses what the pool sends it. Its
 * lookups are proxies that call back to the main thread, which owns the database and the indexes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analysisDeps, configuredDetectors } from '../../app.ts';
import type { DetectorLookups } from '../../detectors/types.ts';
import { DetectorRegistry } from '../../detectors/registry.ts';
import { DeepMetadataReader } from '../../media/deep-metadata.ts';
import { inProcessAnalyser, type AnalysisRequest } from '../analyser.ts';
import { callbackToken, Channel, type Port } from './channel.ts';
import type { ThreadData, WireRequest } from './pool.ts';

const port = parentPort as Port | null;
if (!port) throw new Error('src/pipeline/threads/thread.ts runs as a worker thread of AnalysisThreads');
const data = workerData as ThreadData;
const enabled = new Set(data.detectors);
const analyser = inProcessAnalyser(
  analysisDeps(data.config, new DetectorRegistry(configuredDetectors(data.config).filter((d) => enabled.has(d.name))), new DeepMetadataReader()),
);

/** Functions this thread passed to a lookup, by id, until their job ends. */
const callbacks = new Map<number, (...args: unknown[]) => Promise<unknown>>();
let nextCallback = 1;

const channel: Channel = new Channel(port, async (target, args) => {
  switch (target.kind) {
    case 'ready':
      return true;
    case 'analyse': {
      const [job, wire, methods] = args as [number, WireRequest, string[]];
      const mine: number[] = [];
      try {
        return await analyser.analyse(fromWire(wire), lookupsProxy(job, methods, mine));
      } finally {
        for (const id of mine) callbacks.delete(id);
      }
    }
    case 'callback': {
      const fn = callbacks.get(target.fn);
      if (!fn) throw new Error(`analysis thread: callback ${target.fn} ended with its job`);
      return fn(...args);
    }
    case 'close':
      await analyser.close();
      return true;
    case 'lookup':
      throw new Error('analysis thread: lookups are answered by the main thread');
  }
});

function fromWire(wire: WireRequest): AnalysisRequest {
  const { bytes, ...rest } = wire;
  return { ...rest, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * The job's lookups as the main thread has them (`methods` names the ones it offers; the optional ones a
 * deployment lacks stay absent, so detectors skip them as they would in process).
 */
function lookupsProxy(job: number, methods: readonly string[], mine: number[]): DetectorLookups {
  const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methods) {
    proxy[method] = (...args) =>
      channel.call(
        { kind: 'lookup', job, method },
        args.map((arg) => {
          if (typeof arg !== 'function') return arg;
          const id = nextCallback++;
          callbacks.set(id, arg as (...a: unknown[]) => Promise<unknown>);
          mine.push(id);
          return callbackToken(id);
        }),
      );
  }
  // Every method DetectorLookups requires is among `methods`: the main thread's lookups always have them.
  return proxy as unknown as DetectorLookups;
}
