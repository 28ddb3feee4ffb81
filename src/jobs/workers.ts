import { toTollgateError } from '../errors.ts';
import { processUpload, recordProcessingFailure, type ProcessDeps, type UploadRun } from '../uploads/process.ts';
import { attemptDelivery, markDeliveryFailed } from '../webhooks/deliveries.ts';
import { QUEUES, type JobInfo, type UploadJob, type WebhookJob } from './queue.ts';

export interface WorkerOptions {
  concurrency: number;
  /** Uploads this process's ingests may hold for these workers while every slot is busy (`JobQueue.reserveUpload`). */
  backlog?: number;
  /** After each job: the outcome, the analysis time and the job's whole time in this worker (ms). */
  onProcessed?: (uploadId: string, outcome: string, timing?: { analysisMs?: number; jobMs: number }) => void;
  onError?: (uploadId: string, error: Error, finalAttempt: boolean) => void;
}

/** Subscribes this process to the upload, dead-letter and webhook queues. */
export async function startWorkers(deps: ProcessDeps, options: WorkerOptions): Promise<void> {
  await deps.queue.work<UploadRun>(QUEUES.processUpload, options.concurrency, async (job) => {
    const started = performance.now();
    try {
      const { outcome, analysisMs } = await processUpload(deps, job.data.uploadId, job, job.data.handed);
      options.onProcessed?.(job.data.uploadId, outcome, { ...(analysisMs !== undefined ? { analysisMs } : {}), jobMs: performance.now() - started });
    } catch (thrown) {
      const error = toTollgateError(thrown, 'pipeline.failed');
      const finalAttempt = job.retryCount >= job.retryLimit;
      options.onError?.(job.data.uploadId, error, finalAttempt);
      if (!finalAttempt) throw error;
      await recordProcessingFailure(deps, job.data.uploadId, { code: error.code, message: error.message });
      options.onProcessed?.(job.data.uploadId, 'failed');
    }
  }, { backlog: options.backlog ?? 0 });
  // Reached when a worker died during the last attempt: nothing recorded the failure yet.
  await deps.queue.work<UploadJob>(QUEUES.deadUpload, 1, async (job: JobInfo<UploadJob>) => {
    await recordProcessingFailure(deps, job.data.uploadId, { code: 'pipeline.failed', message: 'processing did not complete after all retries' });
    options.onProcessed?.(job.data.uploadId, 'failed');
  });
  await deps.queue.work<WebhookJob>(QUEUES.deliverWebhook, Math.max(1, Math.ceil(options.concurrency / 2)), async (job) => {
    try {
      await attemptDelivery(deps.db, job.data.deliveryId, deps.webhookDefaults?.secret);
    } catch (error) {
      if (job.retryCount >= job.retryLimit) {
        await markDeliveryFailed(deps.db, job.data.deliveryId);
        return;
      }
      throw error;
    }
  });
}
