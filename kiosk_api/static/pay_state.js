// The pay page while its order can still change (door open, dispensing, a wallet's QR code waiting
// to be scanned): poll the state JSON every
// 5 s (the pay link's rate limit allows 30 a minute) and show its sentence and amount; stop once final.
(function () {
  "use strict";
  var section = document.querySelector("section.pay[data-state-url]");
  if (!section) return;
  var url = section.getAttribute("data-state-url");
  function showLines(lines) {
    var list = document.getElementById("pay-lines");
    list.textContent = "";
    list.hidden = lines.length === 0;
    lines.forEach(function (line) {
      var item = document.createElement("li");
      var what = document.createElement("span");
      var total = document.createElement("span");
      what.textContent = line.name + " × " + line.qty;
      if (line.refunded) {
        item.className = "refunded";
        var note = document.createElement("em");
        note.className = "refund-note";
        note.textContent = line.refunded;
        what.appendChild(document.createTextNode(" "));
        what.appendChild(note);
      }
      total.textContent = line.total;
      item.appendChild(what);
      item.appendChild(total);
      list.appendChild(item);
    });
  }
  function show(state) {
    showLines(state.lines);
    document.getElementById("pay-title").textContent = state.title;
    document.getElementById("pay-sentence").textContent = state.sentence;
    var amount = document.getElementById("pay-amount");
    amount.textContent = state.amount;
    amount.className = state.amount_fen ? "amount" : "amount zero";
    document.getElementById("pay-amount-label").textContent = state.amount_label;
    document.getElementById("pay-status").className = "status " + state.tone;
    section.setAttribute("data-status", state.status);
    section.setAttribute("data-final", state.final ? "1" : "0");
    document.title = state.title + " · " + state.amount;
    // Parts of the page for one status only (a wallet's QR code while waiting), or for any other.
    section.querySelectorAll("[data-while-status]").forEach(function (part) {
      part.hidden = part.getAttribute("data-while-status") !== state.status;
    });
    section.querySelectorAll("[data-unless-status]").forEach(function (part) {
      part.hidden = part.getAttribute("data-unless-status") === state.status;
    });
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state) show(state);
        if (!state || !state.final) setTimeout(poll, state ? 5000 : 15000);
      })
      .catch(function () { setTimeout(poll, 15000); });
  }
  setTimeout(poll, 5000);
})();
