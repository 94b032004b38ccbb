// Keyboard moves between the cells of the tally grid; htmx saves each cell on "change".
(function () {
  "use strict";
  function inputs(table) {
    return Array.from(table.querySelectorAll("tbody tr")).map(function (row) {
      return Array.from(row.querySelectorAll("td.cell"));
    });
  }
  function position(grid, td) {
    for (var r = 0; r < grid.length; r++) {
      var c = grid[r].indexOf(td);
      if (c !== -1) return [r, c];
    }
    return null;
  }
  function focusCell(grid, r, c) {
    if (r < 0 || r >= grid.length || c < 0 || c >= grid[r].length) return false;
    var input = grid[r][c].querySelector("input");
    if (!input) return false;
    input.focus();
    input.select();
    return true;
  }
  function move(grid, r, c, dr, dc) {
    // Skip locked cells (no input) in the direction of travel.
    for (var step = 1; step < 40; step++) {
      var nr = r + dr * step, nc = c + dc * step;
      if (nr < 0 || nr >= grid.length || nc < 0 || nc >= (grid[nr] || []).length) return;
      if (focusCell(grid, nr, nc)) return;
    }
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    var td = input.closest("td.cell");
    var table = input.closest("table.tally-grid");
    if (!td || !table) return;
    var grid = inputs(table);
    var at = position(grid, td);
    if (!at) return;
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    var key = event.key;
    if (key === "Enter" || key === "ArrowDown") { event.preventDefault(); input.blur(); move(grid, at[0], at[1], 1, 0); }
    else if (key === "ArrowUp") { event.preventDefault(); input.blur(); move(grid, at[0], at[1], -1, 0); }
    else if (key === "ArrowRight" && atEnd) { event.preventDefault(); input.blur(); move(grid, at[0], at[1], 0, 1); }
    else if (key === "ArrowLeft" && atStart) { event.preventDefault(); input.blur(); move(grid, at[0], at[1], 0, -1); }
  });
  // Blurring fires "change" before focus moves, so htmx saves the cell we are leaving.

  // A refused request (lost session, server error) must not look saved.
  document.addEventListener("htmx:responseError", function (event) {
    var td = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("td.cell");
    if (!td) return;
    td.classList.remove("is-saved");
    td.classList.add("has-error");
    var state = td.querySelector(".state");
    if (state) state.textContent = td.closest("table").dataset.failed || "Not saved";
  });
  document.addEventListener("htmx:sendError", function (event) {
    var td = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("td.cell");
    if (td) td.classList.add("has-error");
  });
})();
