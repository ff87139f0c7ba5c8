// The browser bundle's index.html: a form with one field per raw column, scored in the page by score.mjs.
// Static text: the form is built from model.json with DOM properties (never innerHTML), so no model or
// column name can become markup or script.
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Model demo</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; padding: 0 1rem; }
  label { display: block; margin: .5rem 0 .1rem; font-weight: 600; overflow-wrap: anywhere; }
  input { width: 100%; box-sizing: border-box; padding: .3rem; }
  button { margin-top: 1rem; padding: .4rem 1.2rem; }
  pre { background: #f4f4f4; padding: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1 id="title">Model demo</h1>
<p>Scored in this page with onnxruntime-web (WebAssembly); nothing leaves the browser.</p>
<form id="row"></form>
<button id="score" type="button" disabled>Score</button>
<pre id="result" aria-live="polite">Loading the model…</pre>
<script type="module">
  import { load } from './score.mjs';
  const form = document.getElementById('row');
  const result = document.getElementById('result');
  const button = document.getElementById('score');
  try {
    const scorer = await load();
    const model = scorer.kernel.model;
    document.getElementById('title').textContent = model.name + ' v' + model.version;
    document.title = model.name + ' v' + model.version;
    const inputs = [];
    model.fields.forEach(([name, kind], i) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.id = 'field-' + i;
      input.dataset.kind = kind;
      input.placeholder = kind === 'numeric' ? 'number or ISO date (empty = missing)' : 'text (empty = missing)';
      label.htmlFor = input.id;
      label.textContent = name;
      form.append(label, input);
      inputs.push([name, kind, input]);
    });
    button.disabled = false;
    result.textContent = 'Model loaded in ' + scorer.loadMs.toFixed(0) + ' ms. Fill the form and score.';
    button.addEventListener('click', async () => {
      const row = Object.create(null);
      for (const [name, kind, input] of inputs) {
        const text = input.value.trim();
        row[name] = text === '' ? null : kind === 'numeric' && !Number.isNaN(Number(text)) ? Number(text) : text;
      }
      try {
        const [prediction] = await scorer.score([row]);
        result.textContent = JSON.stringify(prediction, null, 2);
      } catch (err) {
        result.textContent = String(err && err.message ? err.message : err);
      }
    });
  } catch (err) {
    result.textContent = 'Could not load the model: ' + String(err && err.message ? err.message : err);
  }
</script>
</body>
</html>
`;
