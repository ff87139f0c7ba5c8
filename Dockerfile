# Image for the worker and the model server (docker-compose.yml). Node 20 on Debian, as on the dev machines.
FROM node:20.19-bookworm-slim
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev
USER node
ENTRYPOINT ["node", "bin/mlops.js"]
