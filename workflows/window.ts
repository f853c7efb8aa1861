/** The bounded window of workflows, kept at its old address: the code lives in common/window.ts. */
export { mapBounded } from '../common/window';
