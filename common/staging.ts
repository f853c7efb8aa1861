/**
 * Names of staging folders: `<workflow id, URI-encoded>@<run id>`. Temporal runs one execution of a
 * workflow id at a time, so a folder with the same id and another run id belongs to an execution
 * that has closed (terminated, say) and can be removed. Pure: used by workflows and activities.
 */

/** The staging folder name of one execution (no '/' and no '@' but the separator). */
export function stagingName(workflowId: string, runId: string): string {
  return `${encodeURIComponent(workflowId)}@${runId}`;
}

/** The other names in `names` that belong to earlier executions of the workflow id `own` is named for. */
export function earlierExecutions(own: string, names: string[]): string[] {
  const at = own.lastIndexOf('@');
  if (at < 0) return []; // a name from before workflow ids were part of it: nothing to tell
  const prefix = own.slice(0, at + 1);
  return names.filter((name) => name !== own && name.startsWith(prefix) && !name.slice(prefix.length).includes('@'));
}
