/** Runs before every test file: keep the Temporal worker's own logs to warnings and errors. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
