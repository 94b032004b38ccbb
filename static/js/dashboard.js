// The dashboard's monthly trend: this year against the year before, drawn from the JSON on the
// canvas of the trend fragment each time htmx brings one (after the page, and when another indicator is picked).
(function () {
  function draw(root) {
    const canvas = root.querySelector ? root.querySelector("#trend-chart") : null;
    if (!canvas || !canvas.dataset.trend || typeof Chart === "undefined") return;
    const data = JSON.parse(canvas.dataset.trend);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: String(data.year), data: data.current, borderColor: "#1f6feb", spanGaps: false },
          { label: String(data.year - 1), data: data.previous, borderColor: "#999", borderDash: [4, 4] },
        ],
      },
      options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
    });
  }
  document.addEventListener("htmx:load", (event) => draw(event.target));
})();
