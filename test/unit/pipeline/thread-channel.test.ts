import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TollgateError } from '../../../src/errors.ts';
import { callbackId, callbackToken, Channel, isCallbackToken, type CallHandler } from '../../../src/pipeline/threads/channel.ts';

const open: MessageChannel[] = [];
afterEach(() => {
  for (const pair of open.splice(0)) {
    pair.port1.close();
    pair.port2.close();
  }
});

/** Two channels on the two ends of one MessageChannel, as the pool and a thread have them. */
function pair(mainHandler: CallHandler, threadHandler: CallHandler): { main: Channel; thread: Channel } {
  const ports = new MessageChannel();
  open.push(ports);
  return { main: new Channel(ports.port1, mainHandler), thread: new Channel(ports.port2, threadHandler) };
}

const refuse: CallHandler = async (target) => {
  throw new Error(`no ${target.kind} here`);
};

describe('analysis thread channel', () => {
  it('answers calls in both directions while a call is in flight', async () => {
    const ports = new MessageChannel();
    open.push(ports);
    const main = new Channel(ports.port1, async (target, args) => (target.kind === 'lookup' ? `${target.method}(${String(args[0])}) for job ${target.job}` : undefined));
    // The thread asks the main thread in the middle of its own answer, as an analysis asks its lookups.
    const thread: Channel = new Channel(ports.port2, async (target, args) => {
      const looked = await thread.call({ kind: 'lookup', job: args[0] as number, method: 'uploadsBySha256' }, ['abc']);
      return { target: target.kind, looked, doubled: (args[1] as number) * 2 };
    });
    await expect(main.call({ kind: 'analyse' }, [7, 21])).resolves.toEqual({ target: 'analyse', looked: 'uploadsBySha256(abc) for job 7', doubled: 42 });
    expect(main.pendingCalls).toBe(0);
    expect(thread.pendingCalls).toBe(0);
  });

  it('keeps the error code of a TollgateError and the message of any other error', async () => {
    const { main } = pair(refuse, async (target) => {
      if (target.kind === 'ready') throw new TollgateError('media.corrupt', 'bad bytes');
      throw new RangeError('out of range');
    });
    const coded = await main.call({ kind: 'ready' }, []).catch((error: unknown) => error);
    expect(coded).toBeInstanceOf(TollgateError);
    expect(coded).toMatchObject({ code: 'media.corrupt', message: 'bad bytes' });
    const plain = await main.call({ kind: 'analyse' }, []).catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(Error);
    expect(plain).not.toBeInstanceOf(TollgateError);
    expect((plain as Error).message).toBe('out of range');
  });

  it('answers with an error, not silence, when the value cannot be copied to the other side', async () => {
    const { main } = pair(refuse, async () => ({ notCloneable: () => 1 }));
    await expect(main.call({ kind: 'analyse' }, [])).rejects.toThrow(/could not be cloned/);
  });

  it('moves transferred buffers instead of copying them', async () => {
    const { main } = pair(refuse, async (_target, args) => (args[0] as Uint8Array).byteLength);
    const bytes = new Uint8Array(1024).fill(7);
    await expect(main.call({ kind: 'analyse' }, [bytes], [bytes.buffer])).resolves.toBe(1024);
    expect(bytes.byteLength).toBe(0);
  });

  it('fails every waiting call when the other side is gone', async () => {
    const { main } = pair(refuse, () => new Promise(() => undefined));
    const waiting = [main.call({ kind: 'analyse' }, []), main.call({ kind: 'ready' }, [])];
    expect(main.pendingCalls).toBe(2);
    main.failPending(new TollgateError('pipeline.failed', 'analysis thread exited'));
    for (const call of waiting) await expect(call).rejects.toMatchObject({ code: 'pipeline.failed' });
    expect(main.pendingCalls).toBe(0);
  });

  it('carries a function as a token the receiver calls back with', () => {
    const token = callbackToken(5);
    expect(isCallbackToken(token)).toBe(true);
    expect(callbackId(token)).toBe(5);
    for (const value of [null, 5, 'x', [], { fn: 5 }, { tollgateCallback: '5' }]) expect(isCallbackToken(value)).toBe(false);
  });
});
