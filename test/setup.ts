/**
 * Runs before every test file: keep the Temporal worker's own logs to warnings and errors. Most
 * files share a process with the files run before them (vitest.config.ts): the first one installs
 * the runtime, the others find it installed (or, once it has shut down idle, remade with these options).
 */
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch (err) {
  if (!(err instanceof IllegalStateError)) throw err;
}
