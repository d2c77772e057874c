// The reports page: every chart drawn from the page's JSON document (data-src) with the vendored
// Chart.js. No inline script or style anywhere (CSP); each chart keeps its numbers on the canvas
// element (chart.data) so what is drawn and what its CSV link serves are the same document's.
"use strict";
(function () {
  const root = document.getElementById("reports");
  if (!root || typeof Chart === "undefined") return;
  const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
  window.counselbotCharts = {};
  fetch(root.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((r) => r.json())
    .then((doc) => {
      for (const spec of doc.charts) {
        const canvas = document.getElementById("chart-" + spec.id);
        if (!canvas) continue;
        const doughnut = spec.type === "doughnut";
        const datasets = spec.series.map((s, i) => ({
          label: s.name,
          data: s.data,
          backgroundColor: doughnut ? palette : palette[i % palette.length],
          borderColor: doughnut ? "#fff" : palette[i % palette.length],
          // Counts beside durations: the counts get their own axis on the right (the server says which).
          yAxisID: doughnut ? undefined : s.axis,
          spanGaps: true,
        }));
        const scales = doughnut ? {} : {
          x: { stacked: spec.stacked },
          y: { beginAtZero: true, stacked: spec.stacked, title: { display: !!spec.unit, text: spec.unit } },
          y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                display: datasets.some((d) => d.yAxisID === "y2") },
        };
        const chart = new Chart(canvas, {
          type: spec.type,
          data: { labels: spec.labels, datasets: datasets },
          options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
                     plugins: { legend: { position: "bottom" } } },
        });
        window.counselbotCharts[spec.id] = { spec: spec, chart: chart };
        canvas.dataset.drawn = "1";
      }
      root.dataset.ready = "1";
    });
})();
