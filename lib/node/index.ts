// gradstream/node: what needs Node (worker threads). The main entry stays free of `node:` imports.
export { workerPool, type WorkerPool, type WorkerPoolOptions, type ModuleExport } from './workerPool.js';
export { WorkerError } from '../errors/WorkerError.js';
