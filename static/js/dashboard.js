// The dashboard's monthly trend: this year against the year before, from the page's JSON.
(function () {
  const data = JSON.parse(document.getElementById("trend-data").textContent);
  const canvas = document.getElementById("trend-chart");
  if (!canvas || typeof Chart === "undefined") return;
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
})();
