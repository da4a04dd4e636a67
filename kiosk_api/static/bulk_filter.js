// The bulk-order form's filter box: narrows the product rows as the buyer types, matching the
// catalogue's search keys (name, pinyin, initials, synonyms: catalogue/search.py), the SKU and
// the GTIN. Hidden rows keep their quantities and are submitted with the form.
(function () {
  "use strict";
  var box = document.getElementById("product-filter-box");
  var input = document.getElementById("product-filter");
  var table = document.getElementById("product-rows");
  if (!box || !input || !table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  var count = document.getElementById("filter-count");
  var empty = document.getElementById("filter-empty");

  function normalise(text) {
    return text.toLowerCase().replace(/[\s'’·]+/g, "");
  }

  function chosen() {
    return rows.filter(function (row) {
      var qty = row.querySelector("input.qty");
      return qty && qty.value.trim() !== "" && qty.value.trim() !== "0";
    }).length;
  }

  function update() {
    var query = normalise(input.value);
    var shown = 0;
    rows.forEach(function (row) {
      var match = !query || (row.getAttribute("data-search") || "").indexOf(query) !== -1;
      row.hidden = !match;
      if (match) shown += 1;
    });
    if (count) {
      var text = count.getAttribute("data-template")
        .replace("{shown}", shown).replace("{total}", rows.length);
      var n = chosen();
      if (n) text += " · " + count.getAttribute("data-chosen").replace("{chosen}", n);
      count.textContent = text;
    }
    if (empty) empty.hidden = shown !== 0;
  }

  box.hidden = false;
  input.addEventListener("input", update);
  table.addEventListener("input", update);
  // Enter in the filter box must not submit the order.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
  update();
})();
