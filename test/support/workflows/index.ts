export * from './data-stages';
export * from './feature-stages';
export * from './train-stages';
