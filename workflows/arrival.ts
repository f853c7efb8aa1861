/**
 * Waiting for late data, durably: check, then sleep on a Temporal timer (no worker slot held)
 * until the next check, the deadline, or a `datasetArrived` signal, whichever comes first.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

/**
 * "This dataset's data has landed: check now." Sent to a run (with the dataset's name, or none for
 * all) or to a dataset's own workflow; e.g. `temporal workflow signal --name datasetArrived …`.
 */
export const datasetArrivedSignal = defineSignal<[dataset?: string]>('datasetArrived');

export interface ArrivalCheck {
  ready: boolean;
  missing?: string;
}

/** Returns the first ready check, or the last not-ready one once `deadline` (epoch ms) has passed. */
export async function waitForData(
  check: () => Promise<ArrivalCheck>,
  checkEveryMs: number,
  deadline: number,
): Promise<ArrivalCheck> {
  let nudged = false;
  setHandler(datasetArrivedSignal, () => {
    nudged = true;
  });
  for (;;) {
    const status = await check();
    const remaining = deadline - Date.now();
    if (status.ready || remaining <= 0) return status;
    nudged = false;
    await condition(() => nudged, Math.min(checkEveryMs, remaining));
  }
}
