# A Tributary worker image: the TypeScript sources run through tsx, no build step.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY activities ./activities
COPY cli ./cli
COPY common ./common
COPY runtime ./runtime
COPY workers ./workers
COPY workflows ./workflows
COPY tsconfig.json ./
ENV TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=default TRIBUTARY_TASK_QUEUE=tributary
# SIGTERM from `docker stop` triggers the worker's graceful shutdown.
STOPSIGNAL SIGTERM
CMD ["node", "bin/tributary.cjs", "worker"]
