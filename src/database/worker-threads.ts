/**
 * What the SQLite worker threads share (README, "What runs where"): how the main thread starts
 * one (sqlite-readers.ts, sqlite-checkpointer.ts) and how a worker lowers its own priority
 * (sqlite-reader.worker.ts, sqlite-checkpointer.worker.ts). Imports nothing of the service.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker script `name` (a file of this folder, without extension): compiled JavaScript
 * beside this file when running from `dist/`; under ts-jest or ts-node (the tests, `nest start`)
 * the TypeScript source, compiled by ts-node as it loads (ts-node is a development dependency;
 * the build never needs it).
 */
export function startWorkerThread(name: string, workerData: unknown): Worker {
  const compiled = join(__dirname, `${name}.js`);
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = join(__dirname, `${name}.ts`);
  const project = join(__dirname, '..', '..', 'tsconfig.json');
  const bootstrap =
    `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(project)} });` +
    `require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Lowers the calling thread's scheduling priority. On Linux each thread is scheduled on its own and
 * setpriority() takes a thread id (found through /proc/thread-self), so the main thread, which
 * runs every write, keeps its priority when the workers use every core. Elsewhere, or if refused,
 * the worker runs at the process's priority.
 */
export function lowerPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux: nothing to do.
  }
}
