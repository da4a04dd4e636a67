// The pay page while its order can still change (door open, dispensing): poll the state JSON every
// 5 s (the pay link's rate limit allows 30 a minute) and show its sentence and amount; stop once final.
(function () {
  "use strict";
  var section = document.querySelector("section.pay[data-state-url]");
  if (!section) return;
  var url = section.getAttribute("data-state-url");
  function show(state) {
    document.getElementById("pay-title").textContent = state.title;
    document.getElementById("pay-sentence").textContent = state.sentence;
    document.getElementById("pay-amount").textContent = state.amount;
    document.getElementById("pay-amount-label").textContent = state.amount_label;
    document.getElementById("pay-status").className = "status " + state.tone;
    section.setAttribute("data-status", state.status);
    section.setAttribute("data-final", state.final ? "1" : "0");
    document.title = state.title + " · " + state.amount;
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
