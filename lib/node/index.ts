// gradstream/node: what needs Node's file system. The main entry stays free of `node:` imports.
export { fileStorage } from './fileStorage.js';
export { fileModelHandler } from './fileModelHandler.js';
export { useFileModels } from './useFileModels.js';
