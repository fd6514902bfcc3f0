// gradstream/node: what needs Node (the file system, worker threads). The main entry stays free of `node:` imports.
export { fileStorage } from './fileStorage.js';
export { fileModelHandler } from './fileModelHandler.js';
export { useFileModels } from './useFileModels.js';
export { workerPool, type WorkerPool, type WorkerPoolOptions, type ModuleExport } from './workerPool.js';
export { WorkerError } from '../errors/WorkerError.js';
