// The summary's outline editor: "Insert figure" puts the chosen figure's reference where the
// cursor is in the paragraph, without a round trip (the button still saves and appends it when
// scripts are off). No inline handlers: the CSP forbids them.
(function () {
  "use strict";
  var caret = {};
  document.addEventListener("focusout", function (event) {
    var area = event.target;
    if (area.tagName === "TEXTAREA") caret[area.id] = [area.selectionStart, area.selectionEnd];
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-ref-insert]");
    if (!button) return;
    var key = document.getElementById("id_ref_key");
    var field = document.getElementById("id_ref_field");
    var area = document.getElementById(button.dataset.refInsert);
    if (!key || !field || !area || !key.value) return; // the server says to choose a figure first
    event.preventDefault();
    var name = key.options[key.selectedIndex].text;
    var which = field.options[field.selectedIndex].text;
    var token = "{{" + key.value + ":" + field.value + "|" + name + "·" + which + "}}";
    var at = caret[area.id] || [area.value.length, area.value.length];
    area.value = area.value.slice(0, at[0]) + token + area.value.slice(at[1]);
    var end = at[0] + token.length;
    caret[area.id] = [end, end];
    area.focus();
    area.setSelectionRange(end, end);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// After a click the server answers with the whole editor; it names the part acted on in
// data-anchor (the moved section, the section a paragraph left …). Keep that part where it was on
// the screen, so the view does not jump and the button clicked stays under the pointer.
(function () {
  "use strict";
  var tops = null;
  function isEditor(elt) {
    return elt && elt.id === "summary-outline";
  }
  function nearestTop(before) {
    var best = null;
    Object.keys(before).forEach(function (id) {
      if (best === null || Math.abs(before[id]) < Math.abs(before[best])) best = id;
    });
    return best;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isEditor(event.detail.elt)) return;
    tops = {};
    event.detail.elt.querySelectorAll("[id^='sec-'], [id^='blk-']").forEach(function (part) {
      tops[part.id] = part.getBoundingClientRect().top;
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    var form = document.getElementById("summary-outline");
    if (!form || tops === null) return;
    var before = tops;
    tops = null;
    // Without a part named (a plain save), the part nearest the top of the screen stays put.
    var id = form.dataset.anchor || nearestTop(before);
    var anchor = id ? document.getElementById(id) : null;
    if (!anchor) return;
    if (Object.prototype.hasOwnProperty.call(before, anchor.id)) {
      window.scrollBy(0, anchor.getBoundingClientRect().top - before[anchor.id]);
    } else {
      anchor.scrollIntoView({ block: "center" });
    }
    var message = anchor.querySelector(".error");
    if (message) message.scrollIntoView({ block: "nearest" });
  });
})();
