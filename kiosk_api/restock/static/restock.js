// The visit form's helpers; the form works without them. Find a slot by its product's GTIN (typed,
// chosen, or scanned by the camera where the browser has BarcodeDetector), and keep each slot's
// "count afterwards" in step with what is put in and taken out until the restocker types a count.
(function () {
  "use strict";
  var jump = document.querySelector("form.rs-jump");
  var visit = document.querySelector("form.rs-visit");
  if (!jump || !visit) return;
  var input = jump.querySelector("input[name=gtin]");
  var note = jump.querySelector(".rs-jump-note");
  var cards = Array.prototype.slice.call(visit.querySelectorAll("details.rs-slotcard"));

  function find(code) {
    code = (code || "").trim();
    if (!code) return false;
    var found = cards.filter(function (card) {
      return card.dataset.gtin === code || card.dataset.slot === code.toUpperCase();
    });
    if (!found.length) {
      note.textContent = jump.dataset.notFound;
      return false;
    }
    note.textContent = "";
    found.forEach(function (card) { card.open = true; });
    found[0].scrollIntoView({ block: "start" });
    var qty = found[0].querySelector("input.rs-put-qty");
    if (qty) qty.focus({ preventScroll: true });
    return true;
  }

  jump.addEventListener("submit", function (event) {
    event.preventDefault(); // a reload would lose what is typed below
    find(input.value);
  });
  jump.querySelector(".rs-jump-slot").addEventListener("change", function (event) {
    find(event.target.value);
  });

  function sum(card, selector, sameOnly) {
    var total = 0;
    card.querySelectorAll(selector).forEach(function (el) {
      var n = parseInt(el.value, 10);
      if (isNaN(n) || n < 0) return;
      if (sameOnly) {
        var lot = el.closest(".rs-row").querySelector("select.rs-rm-lot");
        var option = lot && lot.options[lot.selectedIndex];
        if (!option || option.dataset.same !== "1") return;
      }
      total += n;
    });
    return total;
  }
  cards.forEach(function (card) {
    var count = card.querySelector("input.rs-count-qty");
    if (!count) return;
    var typed = false;
    count.addEventListener("input", function () { typed = true; });
    function plan(selector, text, value) {
      var tag = card.querySelector(selector);
      tag.textContent = text;
      tag.hidden = !value;
    }
    function update(event) {
      var put = sum(card, "input.rs-put-qty", false);
      if (!typed && event.target !== count) {
        var after = parseInt(card.dataset.onHand, 10) + put - sum(card, "input.rs-rm-qty", true);
        if (!isNaN(after)) count.value = String(Math.max(after, 0));
      }
      var removed = sum(card, "input.rs-rm-qty", false);
      plan(".rs-plan-put", "+" + put, put);
      plan(".rs-plan-rm", "\u2212" + removed, removed);
      plan(".rs-plan-count", "= " + count.value, true);
    }
    card.addEventListener("input", update);
    card.addEventListener("change", function (event) {
      // Only a chosen lot: a text field's change fires as it loses focus, and a summary that
      // moves then would move the button being tapped from under the finger.
      if (event.target.tagName === "SELECT") update(event);
    });
  });

  // Camera scanning, only where the browser can read barcodes itself.
  var scan = jump.querySelector(".rs-scan");
  var video = jump.querySelector(".rs-video");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    var wanted = ["ean_13", "ean_8", "upc_a", "code_128"].filter(function (f) { return formats.indexOf(f) >= 0; });
    if (!wanted.length) return;
    var detector = new window.BarcodeDetector({ formats: wanted });
    scan.hidden = false;
    scan.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        function stop() {
          stream.getTracks().forEach(function (track) { track.stop(); });
          video.hidden = true;
        }
        function look() {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              input.value = codes[0].rawValue;
              find(codes[0].rawValue);
            } else if (!video.hidden) {
              window.requestAnimationFrame(look);
            }
          }, stop);
        }
        look();
      }, function () { scan.hidden = true; });
    });
  });
})();
