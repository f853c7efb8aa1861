/**
 * Payloads read straight from a history are as stored: encrypted when the payload codec is on
 * (TRIBUTARY_ENCRYPTION_KEY). These decode them with the client's codecs, so the page, the report
 * lookup and `rerun` read encrypted runs too.
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';

type Payloads = { payloads?: Payload[] | null } | null | undefined;
type Event = {
  workflowExecutionCompletedEventAttributes?: { result?: Payloads } | null;
  workflowExecutionFailedEventAttributes?: {
    failure?: { applicationFailureInfo?: { details?: Payloads } | null } | null;
  } | null;
  activityTaskCompletedEventAttributes?: { result?: Payloads } | null;
  workflowExecutionStartedEventAttributes?: { input?: Payloads } | null;
};

export async function decodePayloads(client: Client, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  // Codecs encode in order, so they decode in reverse.
  for (const codec of [...client.options.loadedDataConverter.payloadCodecs].reverse())
    decoded = await codec.decode(decoded);
  return decoded;
}

/** Decodes, in place, the payloads the page and rerun read: results, carried reports, inputs. */
export async function decodeHistoryPayloads(client: Client, events: readonly Event[]): Promise<void> {
  if (client.options.loadedDataConverter.payloadCodecs.length === 0) return;
  const holders: Payloads[] = events.flatMap((e) => [
    e.workflowExecutionCompletedEventAttributes?.result,
    e.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.details,
    e.activityTaskCompletedEventAttributes?.result,
    e.workflowExecutionStartedEventAttributes?.input,
  ]);
  for (const holder of holders) {
    if (holder?.payloads?.length) holder.payloads = await decodePayloads(client, holder.payloads);
  }
}
