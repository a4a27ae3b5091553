/**
 * Starts a worker thread running a sibling module of the caller (`query-worker`, ...): the `.js`
 * file when running compiled, the `.ts` file through tsx when running from sources (loader hooks
 * are per thread on Node 20, so the worker registers tsx before importing its module).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startModuleWorker(callerUrl: string, moduleName: string, options: WorkerOptions): Worker {
  const fromSources = callerUrl.endsWith('.ts');
  const entry = new URL(`./${moduleName}${fromSources ? '.ts' : '.js'}`, callerUrl);
  if (!fromSources) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
