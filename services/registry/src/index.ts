export * from './domain/errors.js';
export * from './domain/model.js';
export type * from './domain/service.js';
