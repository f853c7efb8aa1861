/** Task-queue names, in one place. Imported by workflows too, so: no side effects here. */
export const DEFAULT_TASK_QUEUE = 'tributary';
