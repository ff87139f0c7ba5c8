export * from './data-stages';
export * from './feature-stages';
export * from './train-stages';
// The product's workflows too, so one test worker runs both.
export * from '../../../workflows';
export * from './stage-failure';
