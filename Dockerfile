# A Tributary worker image (also the `tributary` command): the TypeScript sources run through tsx,
# no build step. The nodejs-polars native package for linux-x64-gnu comes from optionalDependencies.
FROM node:20-bookworm-slim
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
ENV TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=default TRIBUTARY_TASK_QUEUE=tributary
# SIGTERM from `docker stop` triggers the worker's graceful shutdown.
STOPSIGNAL SIGTERM
CMD ["node", "bin/tributary.cjs", "worker"]
