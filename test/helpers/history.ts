/** Reading facts out of a real workflow history, so tests check what the server saw. */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The largest number of child workflows the parent had open at once: +1 when it initiated a child,
 * -1 when that child closed (any way) or failed to start.
 */
export function maxOpenChildren(events: readonly HistoryEvent[]): number {
  let open = 0;
  let max = 0;
  for (const e of events) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) open += 1;
    if (
      e.childWorkflowExecutionCompletedEventAttributes ||
      e.childWorkflowExecutionFailedEventAttributes ||
      e.childWorkflowExecutionCanceledEventAttributes ||
      e.childWorkflowExecutionTimedOutEventAttributes ||
      e.childWorkflowExecutionTerminatedEventAttributes ||
      e.startChildWorkflowExecutionFailedEventAttributes
    ) {
      open -= 1;
    }
    max = Math.max(max, open);
  }
  return max;
}
