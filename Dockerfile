# A Tributary worker image (also the `tributary` command): the TypeScript sources, compiled into one
# cached file by bin/cliBundle.cjs when the image is built (the last RUN), so no container compiles them. Node 24 (the current LTS; nodejs-polars 0.26's native packages declare Node >= 22). The
# nodejs-polars native package for linux-x64-gnu is a plain dependency in package.json.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY activities ./activities
COPY cli ./cli
COPY common ./common
COPY datagen ./datagen
COPY examples ./examples
COPY metrics ./metrics
COPY runtime ./runtime
COPY pipeline ./pipeline
COPY workers ./workers
COPY workflows ./workflows
RUN node bin/tributary.cjs --help >/dev/null
ENV TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=default TRIBUTARY_TASK_QUEUE=tributary
# SIGTERM from `docker stop` triggers the worker's graceful shutdown.
STOPSIGNAL SIGTERM
CMD ["node", "bin/tributary.cjs", "worker"]
