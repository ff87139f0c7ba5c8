export * from './data-stages';
export * from './feature-stages';
