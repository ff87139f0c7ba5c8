// The console's client layer: fetch the page's JSON twin (/api/<path>) and draw each chart placeholder with
// vega-embed (SVG, no action menu: it would link out to the web). Everything else is server-rendered HTML.
(function () {
  'use strict';
  var slots = Array.prototype.slice.call(document.querySelectorAll('[data-chart]'));
  window.mlopsCharts = {};
  function done() {
    document.body.setAttribute('data-charts-ready', 'true');
  }
  if (slots.length === 0) return done();
  fetch('/api' + location.pathname + location.search, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('the page data answered HTTP ' + res.status);
      return res.json();
    })
    .then(function (page) {
      return Promise.all(
        slots.map(function (el) {
          var id = el.getAttribute('data-chart');
          var spec = page.charts[id];
          if (!spec) {
            el.textContent = 'no data for this chart';
            return null;
          }
          return vegaEmbed(el, spec, { renderer: 'svg', actions: false }).then(function (result) {
            window.mlopsCharts[id] = result.view;
            el.setAttribute('data-rendered', 'true');
          });
        }),
      );
    })
    .then(done, function (err) {
      var p = document.createElement('p');
      p.className = 'error';
      p.textContent = 'Charts could not be drawn: ' + err.message;
      document.querySelector('main').appendChild(p);
      document.body.setAttribute('data-charts-ready', 'error');
      console.error(err);
    });
})();
