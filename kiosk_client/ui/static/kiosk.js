// Touch screen of a dongxi kiosk. Plain JS: polls the local kiosk program for its state and renders it.
(function () {
  "use strict";

  var T = {
    zh: {
      brand: "消费帮扶专柜", home_hint: "点选商品 → 扫码支付 → 自动出货", grid_empty: "商品补货中，请稍后再来",
      cart_title: "购物车", total: "合计", continue: "继续选购", pay: "去支付", checkout: "去结算",
      pay_title: "请扫码支付", pay_hint: "用手机微信、支付宝或银行App扫描上方二维码",
      time_left: "剩余时间", network_slow: "网络较慢，正在确认支付…", cancel: "取消订单",
      take_goods: "请从下方取货口取走商品", finish: "完成", back: "返回",
      door_title: "扫码开门", door_step1: "① 用手机扫码，授权付款", door_step2: "② 柜门自动打开，拿取所需商品",
      door_step3: "③ 关好柜门，按实际取货自动扣款", door_open_title: "柜门已解锁",
      door_open_hint: "请取用所需商品，取完请关好柜门", charged: "实付",
      receipt_pending: "网络恢复后按实际取货扣款", offline_title: "网络中断，暂停服务",
      offline_hint: "正在自动重连，请稍候或使用附近其他专柜", offline_badge: "网络中断",
      creating: "正在创建订单…", dispensing: "支付成功，正在出货，请稍候…", settling: "柜门已关，正在结算…",
      preparing: "正在准备，请稍候…", origin: "产地", certified: "认定扶贫产品", sold_out: "已售罄",
      left: "剩", pieces: "件", items: "件商品", hold: "预授权 {amount}，只按实际取货扣款，余额自动退回",
      cart_changed: "商品库存有变化，请重新确认", sim_title: "模拟柜体（仅演示）", sim_close: "关门",
      sim_fail: "设为卡货", sim_clear: "恢复"
    },
    en: {
      brand: "East–West Help-Buy Kiosk", home_hint: "Tap products → scan to pay → goods drop out",
      grid_empty: "Restocking — please come back soon", cart_title: "Your cart", total: "Total",
      continue: "Add more", pay: "Pay now", checkout: "Check out", pay_title: "Scan to pay",
      pay_hint: "Scan the code above with WeChat, Alipay or your bank app", time_left: "Time left",
      network_slow: "Slow network — confirming your payment…", cancel: "Cancel order",
      take_goods: "Please take your goods from the tray below", finish: "Done", back: "Back",
      door_title: "Scan to open", door_step1: "① Scan with your phone and authorise payment",
      door_step2: "② The door unlocks — take what you need", door_step3: "③ Close the door — you pay only for what you took",
      door_open_title: "Door unlocked", door_open_hint: "Take what you need, then close the door",
      charged: "Charged", receipt_pending: "You will be charged for what you took once the network is back",
      offline_title: "No network — out of service", offline_hint: "Reconnecting… please wait or use a kiosk nearby",
      offline_badge: "Offline", creating: "Creating your order…", dispensing: "Paid — dispensing, please wait…",
      settling: "Door closed — working out your bill…", preparing: "Getting ready…", origin: "Origin",
      certified: "Certified", sold_out: "Sold out", left: "", pieces: "left", items: "items",
      hold: "{amount} is held; you pay only for what you take, the rest is released",
      cart_changed: "Stock has changed — please check your cart", sim_title: "Simulated cabinet (demo only)",
      sim_close: "Close door", sim_fail: "Jam slot", sim_clear: "Reset"
    }
  };

  var body = document.body;
  var idleMs = (parseInt(body.dataset.idleSeconds, 10) || 60) * 1000;
  var simulated = body.dataset.simulated === "true";
  var lang = "zh";
  var catalogue = { kiosk: {}, slots: [], version: -1 };
  var cart = {};
  var localScreen = "home";
  var state = { phase: "idle", version: -1 };
  var lastTouch = Date.now();
  var deadline = null;
  var notice = null;
  var simTaken = {};

  function $(id) { return document.getElementById(id); }
  function t(key) { return (T[lang] && T[lang][key]) || T.zh[key] || key; }
  function pick(text) {
    if (!text) { return ""; }
    if (typeof text === "string") { return text; }
    return text[lang] || text.zh || text.en || "";
  }
  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    return sign + "¥" + Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function api(method, url, data) {
    var options = { method: method, headers: { "Accept": "application/json" } };
    if (data !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(data);
    }
    return fetch(url, options).then(function (r) {
      return r.json().then(function (json) { return { status: r.status, body: json }; });
    });
  }

  function slotOf(code) {
    for (var i = 0; i < catalogue.slots.length; i++) {
      if (catalogue.slots[i].slot === code) { return catalogue.slots[i]; }
    }
    return null;
  }
  function cartCount() { return Object.keys(cart).reduce(function (n, k) { return n + cart[k]; }, 0); }
  function cartTotal() {
    return Object.keys(cart).reduce(function (sum, code) {
      var slot = slotOf(code);
      return sum + (slot ? slot.product.price_fen * cart[code] : 0);
    }, 0);
  }
  function productName(product) { return product.name ? (product.name[lang] || product.name.zh) : product.sku; }
  function tileColour(key) {
    var h = 0;
    for (var i = 0; i < key.length; i++) { h = (h * 31 + key.charCodeAt(i)) % 360; }
    return "hsl(" + h + ", 50%, 36%)";
  }

  function applyI18n() {
    document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.dataset.i18n); });
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    var kiosk = catalogue.kiosk || {};
    $("kiosk-name").textContent = [kiosk.partner, kiosk.name, kiosk.code].filter(Boolean).join(" · ");
  }

  function show(id) {
    document.querySelectorAll(".screen").forEach(function (s) { s.hidden = s.id !== "screen-" + id; });
    $("cart-bar").hidden = !(id === "home" && cartCount() > 0);
  }

  function picture(product) {
    var label = product.category || productName(product);
    var swatch = el("div", "swatch", label);
    swatch.style.background = tileColour(product.sku || label);
    if (!product.image_url) { return swatch; }
    var img = el("img");
    img.alt = productName(product);
    img.src = product.image_url;
    img.onerror = function () { img.replaceWith(swatch); };
    return img;
  }

  function renderGrid() {
    var grid = $("grid");
    grid.textContent = "";
    catalogue.slots.forEach(function (slot) {
      var p = slot.product;
      var soldOut = !(slot.available > 0);
      var tile = el("button", "tile" + (soldOut ? " sold-out" : "") + (cart[slot.slot] ? " in-cart" : ""));
      tile.type = "button";
      tile.dataset.slot = slot.slot;
      tile.dataset.soldOut = t("sold_out");
      tile.disabled = soldOut;
      tile.appendChild(picture(p));
      if (p.certified) { tile.appendChild(el("span", "badge", "✔ " + t("certified"))); }
      if (cart[slot.slot]) { tile.appendChild(el("span", "qty-badge", "×" + cart[slot.slot])); }
      var info = el("div", "tile-body");
      info.appendChild(el("div", "tile-name", productName(p)));
      if (p.spec) { info.appendChild(el("div", "tile-spec", p.spec)); }
      if (p.county) { info.appendChild(el("div", "tile-origin", t("origin") + " " + p.county.name)); }
      var row = el("div", "tile-row");
      row.appendChild(el("span", "price", yuan(p.price_fen)));
      row.appendChild(el("span", "tile-slot", slot.slot + (soldOut ? "" : " · " + t("left") + " " + slot.available + " " + t("pieces"))));
      info.appendChild(row);
      tile.appendChild(info);
      tile.addEventListener("click", function () { changeQty(slot.slot, 1); });
      grid.appendChild(tile);
    });
    $("grid-empty").hidden = catalogue.slots.length > 0;
    $("cart-count").textContent = cartCount() + " " + t("items");
    $("cart-bar-total").textContent = yuan(cartTotal());
  }

  function renderCart() {
    var list = $("cart-lines");
    list.textContent = "";
    Object.keys(cart).forEach(function (code) {
      var slot = slotOf(code);
      if (!slot) { return; }
      var li = el("li", "cart-line");
      var left = el("div");
      left.appendChild(el("div", "name", productName(slot.product)));
      left.appendChild(el("div", "sub", code + " · " + yuan(slot.product.price_fen) + " · " + t("origin") + " " + (slot.product.county ? slot.product.county.name : "")));
      var stepper = el("div", "stepper");
      var minus = el("button", "", "−");
      var plus = el("button", "", "+");
      minus.type = plus.type = "button";
      plus.disabled = cart[code] >= slot.available;
      minus.addEventListener("click", function () { changeQty(code, -1); });
      plus.addEventListener("click", function () { changeQty(code, 1); });
      stepper.appendChild(minus);
      stepper.appendChild(el("span", "qty", String(cart[code])));
      stepper.appendChild(plus);
      li.appendChild(left);
      li.appendChild(stepper);
      list.appendChild(li);
    });
    $("cart-total").textContent = yuan(cartTotal());
    $("pay-button").disabled = cartCount() === 0;
  }

  function changeQty(code, delta) {
    var slot = slotOf(code);
    if (!slot) { return; }
    var qty = Math.max(0, Math.min((cart[code] || 0) + delta, slot.available));
    if (qty === 0) { delete cart[code]; } else { cart[code] = qty; }
    if (localScreen === "cart" && cartCount() === 0) { localScreen = "home"; }
    render();
  }

  function summary(listId, lines) {
    var list = $(listId);
    list.textContent = "";
    (lines || []).forEach(function (line) {
      var li = el("li");
      li.appendChild(el("span", "", pick(line.name) + " × " + line.qty));
      li.appendChild(el("span", "", line.line_total_fen !== undefined ? yuan(line.line_total_fen) : ""));
      list.appendChild(li);
    });
  }

  function setQr(id, url) {
    var img = $(id);
    if (url && img.getAttribute("src") !== url) { img.setAttribute("src", url); }
  }

  function renderDoorShelf() {
    var shelf = $("door-shelf");
    shelf.textContent = "";
    catalogue.slots.forEach(function (slot) {
      if (slot.available > 0) {
        shelf.appendChild(el("span", "", productName(slot.product) + " " + yuan(slot.product.price_fen) + " · " + (slot.product.county ? slot.product.county.name : "")));
      }
    });
  }

  function working(key) { $("working-text").textContent = t(key); show("working"); }

  function render() {
    applyI18n();
    $("net").hidden = state.online !== false;
    var s = state;
    switch (s.phase) {
      case "idle":
        if (s.mode === "open_door") { working("preparing"); return; }
        if (notice) { $("message-text").textContent = notice; show("message"); return; }
        renderGrid();
        renderCart();
        show(localScreen);
        return;
      case "creating": working("creating"); return;
      case "dispensing": working("dispensing"); return;
      case "door_closing": working("settling"); return;
      case "awaiting_payment":
        $("pay-total").textContent = yuan(s.total_fen || 0);
        setQr("pay-qr", s.qr_url);
        summary("pay-lines", s.lines);
        $("pay-network").hidden = !s.network_slow;
        tick();
        show("pay");
        return;
      case "done":
        var short = (s.results || []).some(function (r) { return r.dispensed < r.requested; });
        var some = (s.results || []).some(function (r) { return r.dispensed > 0; });
        $("done-icon").textContent = short ? "!" : "✓";
        $("done-icon").className = "icon" + (short ? " warn-icon" : "");
        $("done-headline").textContent = pick(s.message);
        $("done-refund").hidden = !s.refund_message;
        $("done-refund").textContent = pick(s.refund_message);
        $("done-take").hidden = !some;
        show("done");
        return;
      case "cancelled": case "expired": case "error":
        $("message-text").textContent = pick(s.message);
        show("message");
        return;
      case "door_ready":
        setQr("door-qr", s.qr_url);
        $("door-hold").textContent = s.hold_fen ? t("hold").replace("{amount}", yuan(s.hold_fen)) : "";
        renderDoorShelf();
        show("door-ready");
        return;
      case "door_open":
        $("door-reminder").hidden = !s.reminder;
        $("door-reminder").textContent = pick(s.reminder);
        renderSim();
        show("door-open");
        return;
      case "door_receipt":
        $("receipt-headline").textContent = pick(s.message);
        summary("receipt-lines", s.lines);
        $("receipt-total").textContent = yuan(s.total_fen || 0);
        $("receipt-note").hidden = !!s.confirmed;
        show("receipt");
        return;
      case "offline": show("offline"); return;
      default: working("preparing");
    }
  }

  function tick() {
    if (deadline === null) { $("pay-countdown").textContent = ""; return; }
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    $("pay-countdown").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  }

  function newShopper() {
    cart = {};
    localScreen = "home";
    lang = "zh";
    notice = null;
  }

  function receive(next) {
    if (next.version === state.version && next.phase === state.phase) { return; }
    var before = state.phase;
    if (typeof next.expires_in === "number") { deadline = Date.now() + next.expires_in * 1000; } else { deadline = null; }
    if (next.phase === "idle" && (before === "done" || before === "door_receipt" || before === "expired")) { newShopper(); }
    if (next.phase === "idle" && (before === "error" || before === "cancelled")) { localScreen = cartCount() ? "cart" : "home"; }
    state = next;
    render();
  }

  function poll() {
    api("GET", "/api/state").then(function (r) { receive(r.body); })
      .catch(function () { /* the kiosk program restarts; keep trying */ })
      .then(function () { setTimeout(poll, 500); });
  }

  function loadCatalogue() {
    return api("GET", "/api/catalogue").then(function (r) {
      if (r.body.version !== catalogue.version) {
        catalogue = r.body;
        Object.keys(cart).forEach(function (code) {
          var slot = slotOf(code);
          if (!slot || !(slot.available > 0)) { delete cart[code]; } else { cart[code] = Math.min(cart[code], slot.available); }
        });
        render();
      }
    }).catch(function () {});
  }

  function checkout() {
    var lines = Object.keys(cart).map(function (code) { return { slot: code, qty: cart[code] }; });
    if (!lines.length) { return; }
    api("POST", "/api/checkout", { lines: lines }).then(function (r) {
      if (r.status === 202) { receive(r.body); return; }
      if (r.status === 422) { notice = t("cart_changed"); loadCatalogue(); render(); }
    });
  }

  function resetScreen() {
    if (notice) { notice = null; render(); return; }
    api("POST", "/api/reset").then(function (r) { receive(r.body); });
  }

  // -- simulated cabinet controls (demo only) --
  function renderSim() {
    if (!simulated) { return; }
    var box = $("sim-taken");
    box.textContent = "";
    catalogue.slots.forEach(function (slot) {
      var row = el("div", "sim-row");
      var minus = el("button", "", "−");
      var plus = el("button", "", "+");
      row.appendChild(el("span", "", slot.slot + " " + productName(slot.product)));
      row.appendChild(minus);
      row.appendChild(el("span", "", String(simTaken[slot.slot] || 0)));
      row.appendChild(plus);
      minus.addEventListener("click", function () { simTake(slot.slot, -1); });
      plus.addEventListener("click", function () { simTake(slot.slot, 1); });
      box.appendChild(row);
    });
  }
  function simTake(code, delta) {
    simTaken[code] = Math.max(0, (simTaken[code] || 0) + delta);
    api("POST", "/sim/taken", simTaken).then(renderSim);
  }
  if (simulated) {
    $("sim-close").addEventListener("click", function () {
      api("POST", "/sim/door", { action: "close" }).then(function () { simTaken = {}; });
    });
    $("sim-fail").addEventListener("click", function () {
      api("POST", "/sim/fail-slot", { slot: $("sim-fail-slot").value.trim().toUpperCase(), error: "motor_jam" });
    });
    $("sim-clear").addEventListener("click", function () { api("POST", "/sim/clear"); });
  }

  // -- wiring --
  $("lang").addEventListener("click", function () { lang = lang === "zh" ? "en" : "zh"; render(); });
  document.querySelectorAll("[data-go]").forEach(function (b) {
    b.addEventListener("click", function () { localScreen = b.dataset.go; render(); });
  });
  document.querySelectorAll("[data-reset]").forEach(function (b) { b.addEventListener("click", resetScreen); });
  $("pay-button").addEventListener("click", checkout);
  $("cancel-button").addEventListener("click", function () { api("POST", "/api/cancel").then(function (r) { receive(r.body); }); });
  ["pointerdown", "touchstart", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { lastTouch = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    tick();
    var busy = cartCount() > 0 || localScreen !== "home" || lang !== "zh" || notice;
    if (state.phase === "idle" && busy && Date.now() - lastTouch > idleMs) {
      newShopper();
      render();
    }
  }, 1000);
  setInterval(loadCatalogue, 30000);

  applyI18n();
  loadCatalogue().then(poll);
})();
