// The README of an exported bundle. Column names appear only inside JSON in an indented code block, where
// markdown cannot interpret them.
import type { BundleModel } from './runtime/bundle-model';

function exampleRow(model: BundleModel): string {
  return JSON.stringify(Object.fromEntries(model.fields.map(([name, kind]) => [name, kind === 'numeric' ? 0 : ''])));
}

function outputShape(model: BundleModel): string {
  return model.task === 'regression' ? '{"value": <number>}' : `{"label": <one of the classes>, "probabilities": {<class>: <p>, …}}`;
}

export function bundleReadme(model: BundleModel, runtime: string): string {
  const head = [
    `# ${model.name} v${model.version} (${model.target} bundle)`,
    '',
    `A ${model.task} model exported by \`mlops export\`. \`model.onnx\` holds the encoders and the model; \`score.mjs\``,
    'computes the derived features with the same code the training pipeline and the model server use, then runs the',
    'graph. `model.json` lists the raw fields a row needs, the classes and the decision threshold; `manifest.json`',
    'lists every file with its SHA-256.',
    '',
    'A row is a JSON object with every raw field (null for a missing value); dates as ISO strings or epoch ms:',
    '',
    `    ${exampleRow(model)}`,
    '',
    `Each prediction is ${outputShape(model)}.`,
    '',
  ];
  const edge = [
    '## Run it',
    '',
    `Needs Node.js ≥ 20 and onnxruntime-node ${runtime} (the only dependency): \`npm install --omit=dev\` in this folder.`,
    '',
    '    node score.mjs < rows.jsonl > predictions.jsonl',
    '',
    'One JSON row per input line gives one prediction per output line, in order; a row that cannot be scored gives',
    '`{"error": "…"}` on its line. As a module:',
    '',
    "    import { score } from './score.mjs';",
    '    const predictions = await score([row1, row2]);',
    '',
    '## Send predictions to drift monitoring',
    '',
    '    MLOPS_EDGE_TOKEN=<token with scope feedback> node score.mjs --log http://<model server>:8080 --spool outbox.jsonl',
    '',
    "Each prediction then gets an `id` (send it with a label to the server's `:feedback` endpoint) and is buffered and",
    'posted to `POST /v1/models/<name>:log` every 5 s or 500 predictions. While the server cannot be reached they stay',
    'in memory (up to 100,000); at exit what is left is appended to the spool file, which the next run sends first.',
    '',
  ];
  const browser = [
    '## Run it',
    '',
    'Serve this folder with any static file server (the browser will not fetch model files from `file://`), e.g.',
    '',
    '    python3 -m http.server 8000    # then open http://127.0.0.1:8000/index.html',
    '',
    `\`index.html\` is a demo form. \`ort/\` holds onnxruntime-web ${runtime} (WebAssembly backend, one thread); nothing is`,
    'fetched from a CDN. In your own page:',
    '',
    "    import { score } from './score.mjs';",
    '    const predictions = await score([row]);',
    '',
  ];
  return [...head, ...(model.target === 'edge' ? edge : browser)].join('\n');
}
