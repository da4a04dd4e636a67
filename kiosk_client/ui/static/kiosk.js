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
      preparing: "正在准备，请稍候…", origin: "产地", certified: "认定扶贫产品", sold_out: "已售罄", off_sale: "暂停销售",
      items: "件商品", item: "件商品", hold: "预授权 {amount}，只按实际取货扣款，余额自动退回",
      deposit_step1: "① 用手机扫码，支付押金 {amount}", deposit_step3: "③ 关好柜门，按实际取货结算，余额原路退回",
      deposit: "押金 {amount}，关门后只收所拿商品的钱，其余立即原路退回",
      cart_changed: "商品库存有变化，请重新确认", sim_title: "模拟柜体（仅演示）", sim_close: "关门",
      sim_fail: "设为卡货", sim_clear: "恢复", sim_slot: "货道",
      left_n: "剩 {n} 件", page_prev: "上一页", page_next: "下一页", page_of: "第 {page}/{pages} 页",
      cart_empty: "购物车是空的", idle_warn: "还在吗？{n} 秒后返回首页", still_here: "继续",
      pay_warn: "还剩 {n} 秒，超时后订单自动取消，不会扣款", receipt_title: "购物小票", order_number: "订单号",
      refunded: "已退款", receipt_qr: "手机扫码查看订单", not_dispensed: "{n} 件未出货，已退款",
      help_phone: "服务电话", demo_number: "演示号码", other: "其他"
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
      certified: "Certified", sold_out: "Sold out", off_sale: "Not on sale", items: "items", item: "item",
      hold: "{amount} is held; you pay only for what you take, the rest is released",
      deposit_step1: "① Scan with your phone and pay a {amount} deposit",
      deposit_step3: "③ Close the door — you pay for what you took, the rest goes straight back",
      deposit: "{amount} deposit — when the door closes you pay only for what you took; the rest is refunded at once",
      cart_changed: "Stock has changed — please check your cart", sim_title: "Simulated cabinet (demo only)",
      sim_close: "Close door", sim_fail: "Jam slot", sim_clear: "Reset", sim_slot: "Slot",
      left_n: "{n} left", page_prev: "Previous", page_next: "Next", page_of: "Page {page} of {pages}",
      cart_empty: "Your cart is empty", idle_warn: "Still there? Back to the start in {n} s", still_here: "Continue",
      pay_warn: "{n} s left — then the order is cancelled and you are not charged", receipt_title: "Receipt",
      order_number: "Order no.", refunded: "Refunded", receipt_qr: "Scan to see your order on your phone",
      not_dispensed: "{n} not dispensed, refunded", help_phone: "Help line", demo_number: "demo number",
      other: "Other"
    }
  };
  // Packaging words of a product's spec ("120g×6桶/箱"), for the English screen.
  var SPEC_EN = { "袋": "bag", "箱": "box", "罐": "jar", "瓶": "bottle", "桶": "cups", "盒": "box",
    "只": "pcs", "包": "packs", "件": "pcs", "个": "pcs" };
  var PAGE_SIZE = 6;  // two columns, three rows: a page fits the 1080×1920 screen
  var IDLE_WARN_MS = 10000;  // the "still there?" warning shows this long before the idle reset
  var PAY_WARN_S = 30;  // the pay screen warns this many seconds before the payment times out

  var body = document.body;
  var idleMs = (parseInt(body.dataset.idleSeconds, 10) || 60) * 1000;
  var simulated = body.dataset.simulated === "true";
  var lang = "zh";
  var catalogue = { kiosk: {}, slots: [], version: -1 };
  var products = [];  // the slots grouped by product (sku), in slot order
  var categories = [];  // [{code, name}] in the order the products first appear
  var category = null;
  var page = 0;
  var cart = {};  // sku -> qty
  var localScreen = "home";
  var state = { phase: "idle", version: -1 };
  var lastTouch = Date.now();
  var deadline = null;
  var notice = null;
  var simTaken = {};

  function $(id) { return document.getElementById(id); }
  function t(key) { return (T[lang] && T[lang][key]) || T.zh[key] || key; }
  function fill(key, values) {
    return t(key).replace(/\{(\w+)\}/g, function (_m, k) { return values[k] !== undefined ? values[k] : ""; });
  }
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

  // -- the catalogue, by product ----------------------------------------------------------------
  function group() {
    var bySku = {};
    products = [];
    categories = [];
    var seen = {};
    catalogue.slots.forEach(function (slot) {
      var p = slot.product;
      var entry = bySku[p.sku];
      if (!entry) {
        entry = bySku[p.sku] = { sku: p.sku, product: p, slots: [], available: 0, blocked: false };
        products.push(entry);
        var code = p.category || "other";
        if (!seen[code]) {
          seen[code] = true;
          categories.push({ code: code, name: p.category_name || { zh: T.zh.other, en: T.en.other } });
        }
      }
      entry.slots.push(slot.slot);
      entry.available += slot.available > 0 ? slot.available : 0;
      if (slot.blocked) { entry.blocked = true; }  // off sale until a restocker pulls expired units
    });
    if (!categories.some(function (c) { return c.code === category; })) {
      category = categories.length ? categories[0].code : null;
      page = 0;
    }
  }
  function productOf(sku) {
    for (var i = 0; i < products.length; i++) { if (products[i].sku === sku) { return products[i]; } }
    return null;
  }
  function shelf() {
    return products.filter(function (p) { return (p.product.category || "other") === category; });
  }
  function pages() { return Math.max(1, Math.ceil(shelf().length / PAGE_SIZE)); }
  function cartCount() { return Object.keys(cart).reduce(function (n, k) { return n + cart[k]; }, 0); }
  function cartTotal() {
    return Object.keys(cart).reduce(function (sum, sku) {
      var p = productOf(sku);
      return sum + (p ? p.product.price_fen * cart[sku] : 0);
    }, 0);
  }
  function productName(product) { return product.name ? (product.name[lang] || product.name.zh) : product.sku; }
  function countyName(product) {
    var c = product.county;
    if (!c) { return ""; }
    return lang === "en" ? (c.name_en || "") : c.name;
  }
  function spec(product) {
    var text = product.spec || "";
    if (lang !== "en") { return text; }
    text = text.replace(/(\d?)([\u4e00-\u9fff])/g, function (_m, digit, ch) {
      return SPEC_EN[ch] !== undefined ? digit + (digit ? " " : "") + SPEC_EN[ch] : digit + ch;
    });
    return /[\u3000-\u9fff\uff00-\uffef]/.test(text) ? "" : text.trim();  // never half Chinese
  }
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
    var names = lang === "en" ? [kiosk.partner_en, kiosk.name_en] : [kiosk.partner, kiosk.name];
    var line = $("kiosk-name");
    line.textContent = "";
    names.concat([kiosk.code]).filter(Boolean).forEach(function (part, i) {
      if (i) { line.appendChild(document.createTextNode(" · ")); }
      line.appendChild(el("span", "nowrap", part));
    });
  }

  function show(id) {
    document.querySelectorAll(".screen").forEach(function (s) { s.hidden = s.id !== "screen-" + id; });
    $("cart-bar").hidden = id !== "home";
    body.dataset.screen = id;
  }

  function picture(product) {
    var label = product.category_name ? pick(product.category_name) : productName(product);
    var swatch = el("div", "swatch", label);
    swatch.style.background = tileColour(product.sku || label);
    if (!product.image_url) { return swatch; }
    var img = el("img");
    img.alt = productName(product);
    img.src = product.image_url;
    img.onerror = function () { img.replaceWith(swatch); };
    return img;
  }

  function renderTabs() {
    var tabs = $("tabs");
    tabs.textContent = "";
    categories.forEach(function (c) {
      var tab = el("button", "tab" + (c.code === category ? " active" : ""), pick(c.name));
      tab.type = "button";
      tab.dataset.category = c.code;
      tab.setAttribute("aria-pressed", c.code === category ? "true" : "false");
      tab.addEventListener("click", function () { category = c.code; page = 0; render(); });
      tabs.appendChild(tab);
    });
    tabs.hidden = categories.length < 2;
  }

  function renderGrid() {
    renderTabs();
    var grid = $("grid");
    grid.textContent = "";
    page = Math.min(page, pages() - 1);
    shelf().slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).forEach(function (item) {
      var p = item.product;
      var soldOut = !(item.available > 0);
      var tile = el("button", "tile" + (soldOut ? " sold-out" : "") + (cart[item.sku] ? " in-cart" : ""));
      tile.type = "button";
      tile.dataset.sku = item.sku;
      tile.dataset.slots = item.slots.join(" ");
      tile.dataset.soldOut = t(item.blocked ? "off_sale" : "sold_out");
      tile.disabled = soldOut;
      tile.appendChild(picture(p));
      if (p.certified) { tile.appendChild(el("span", "badge", "✔ " + t("certified"))); }
      if (cart[item.sku]) { tile.appendChild(el("span", "qty-badge", "×" + cart[item.sku])); }
      var info = el("div", "tile-body");
      info.appendChild(el("div", "tile-name", productName(p)));
      var sub = [spec(p), countyName(p) ? t("origin") + " " + countyName(p) : ""].filter(Boolean).join(" · ");
      info.appendChild(el("div", "tile-origin", sub));
      var row = el("div", "tile-row");
      row.appendChild(el("span", "price", yuan(p.price_fen)));
      row.appendChild(el("span", "tile-left", soldOut ? "" : fill("left_n", { n: item.available })));
      info.appendChild(row);
      tile.appendChild(info);
      tile.addEventListener("click", function () { changeQty(item.sku, 1); });
      grid.appendChild(tile);
    });
    $("pager").hidden = pages() < 2;
    $("page-of").textContent = fill("page_of", { page: page + 1, pages: pages() });
    $("page-prev").disabled = page === 0;
    $("page-next").disabled = page >= pages() - 1;
    $("grid-empty").hidden = products.length > 0;
    var count = cartCount();
    $("cart-count").textContent = count ? count + " " + (count === 1 ? t("item") : t("items")) : t("cart_empty");
    $("cart-bar-total").textContent = count ? yuan(cartTotal()) : "";
    $("cart-bar-sep").hidden = count === 0;
    $("cart-bar-go").disabled = count === 0;
  }

  function renderCart() {
    var list = $("cart-lines");
    list.textContent = "";
    Object.keys(cart).forEach(function (sku) {
      var item = productOf(sku);
      if (!item) { return; }
      var li = el("li", "cart-line");
      li.dataset.sku = sku;
      var left = el("div");
      left.appendChild(el("div", "name", productName(item.product)));
      var sub = [yuan(item.product.price_fen), countyName(item.product) ? t("origin") + " " + countyName(item.product) : ""];
      left.appendChild(el("div", "sub", sub.filter(Boolean).join(" · ")));
      var stepper = el("div", "stepper");
      var minus = el("button", "minus", "−");
      var plus = el("button", "plus", "+");
      minus.type = plus.type = "button";
      plus.disabled = cart[sku] >= item.available;
      minus.addEventListener("click", function () { changeQty(sku, -1); });
      plus.addEventListener("click", function () { changeQty(sku, 1); });
      stepper.appendChild(minus);
      stepper.appendChild(el("span", "qty", String(cart[sku])));
      stepper.appendChild(plus);
      li.appendChild(left);
      li.appendChild(stepper);
      list.appendChild(li);
    });
    $("cart-total").textContent = yuan(cartTotal());
    $("pay-button").disabled = cartCount() === 0;
  }

  function changeQty(sku, delta) {
    var item = productOf(sku);
    if (!item) { return; }
    var qty = Math.max(0, Math.min((cart[sku] || 0) + delta, item.available));
    if (qty === 0) { delete cart[sku]; } else { cart[sku] = qty; }
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

  function renderReceipt(s) {
    var list = $("done-lines");
    list.textContent = "";
    (s.receipt || []).forEach(function (line) {
      var li = el("li");
      li.dataset.sku = line.sku;
      var row = el("div", "receipt-row");
      row.appendChild(el("span", "", pick(line.name) + " × " + line.qty));
      row.appendChild(el("span", "", yuan(line.line_total_fen)));
      li.appendChild(row);
      if (line.missing > 0) {
        var short = el("div", "receipt-row short");
        short.appendChild(el("span", "", fill("not_dispensed", { n: line.missing })));
        short.appendChild(el("span", "", yuan(-line.refund_fen)));
        li.appendChild(short);
      }
      list.appendChild(li);
    });
    $("receipt-number").textContent = s.order_number || "";
    $("done-total").textContent = yuan(s.total_fen || 0);
    $("done-refund-row").hidden = !(s.refund_fen > 0);
    $("done-refunded").textContent = yuan(-(s.refund_fen || 0));
    $("done-charged").textContent = yuan(s.charged_fen !== undefined ? s.charged_fen : (s.total_fen || 0));
    $("done-qr-box").hidden = !s.qr_url;
    setQr("done-qr", s.qr_url);
  }

  function setQr(id, url) {
    var img = $(id);
    if (url && img.getAttribute("src") !== url) { img.setAttribute("src", url); }
  }

  function renderDoorShelf() {
    var box = $("door-shelf");
    box.textContent = "";
    products.forEach(function (item) {
      if (item.available > 0) {
        var where = countyName(item.product);
        box.appendChild(el("span", "", productName(item.product) + " " + yuan(item.product.price_fen) + (where ? " · " + where : "")));
      }
    });
  }

  function working(key) { $("working-text").textContent = t(key); show("working"); }

  function render() {
    applyI18n();
    $("net").hidden = state.online !== false;
    var s = state;
    if (s.phase !== "idle") { hideIdleWarning(); }
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
        $("done-icon").className = "icon small-icon" + (short ? " warn-icon" : "");
        $("done-headline").textContent = pick(s.message);
        $("done-refund").hidden = !s.refund_message;
        $("done-refund").textContent = pick(s.refund_message);
        $("done-take").hidden = !some;
        renderReceipt(s);
        show("done");
        return;
      case "cancelled": case "expired": case "error":
        $("message-text").textContent = pick(s.message);
        show("message");
        return;
      case "door_ready":
        setQr("door-qr", s.qr_url);
        var amount = { amount: s.hold_fen ? yuan(s.hold_fen) : "" };
        $("door-step1").textContent = s.deposit ? fill("deposit_step1", amount) : t("door_step1");
        $("door-step3").textContent = s.deposit ? t("deposit_step3") : t("door_step3");
        $("door-hold").textContent = s.hold_fen ? fill(s.deposit ? "deposit" : "hold", amount) : "";
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
    if (deadline === null) { $("pay-countdown").textContent = ""; $("pay-warning").hidden = true; return; }
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    $("pay-countdown").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    var warn = state.phase === "awaiting_payment" && left <= PAY_WARN_S;
    $("pay-warning").hidden = !warn;
    $("pay-countdown-row").classList.toggle("urgent", warn);
    if (warn) { $("pay-warning").textContent = fill("pay_warn", { n: left }); }
  }

  function toTop() {
    window.scrollTo(0, 0);
    $("main").scrollTop = 0;
  }

  function newShopper() {
    cart = {};
    localScreen = "home";
    lang = "zh";
    notice = null;
    category = categories.length ? categories[0].code : null;
    page = 0;
    hideIdleWarning();
    toTop();
  }

  function receive(next) {
    if (next.catalogue_version !== undefined && next.catalogue_version !== catalogue.version) { loadCatalogue(); }
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

  var loading = null;
  function loadCatalogue() {
    if (loading) { return loading; }
    loading = api("GET", "/api/catalogue").then(function (r) {
      if (r.body.version !== catalogue.version) {
        catalogue = r.body;
        group();
        Object.keys(cart).forEach(function (sku) {
          var item = productOf(sku);
          if (!item || !(item.available > 0)) { delete cart[sku]; } else { cart[sku] = Math.min(cart[sku], item.available); }
        });
        render();
      }
    }).catch(function () {}).then(function () { loading = null; });
    return loading;
  }

  function checkout() {
    var lines = Object.keys(cart).map(function (sku) { return { sku: sku, qty: cart[sku] }; });
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

  // -- idle: a warning with a countdown, then a fresh start for the next shopper ---------------------
  function busy() {
    return cartCount() > 0 || localScreen !== "home" || lang !== "zh" || !!notice || page !== 0 ||
      (categories.length > 0 && category !== categories[0].code);
  }
  function hideIdleWarning() { $("idle-warning").hidden = true; }
  function idleCheck() {
    if (state.phase !== "idle" || !busy()) { hideIdleWarning(); return; }
    var quiet = Date.now() - lastTouch;
    if (quiet >= idleMs) { newShopper(); render(); return; }
    var warnFor = Math.min(IDLE_WARN_MS, idleMs / 2);
    if (quiet >= idleMs - warnFor) {
      $("idle-text").textContent = fill("idle_warn", { n: Math.ceil((idleMs - quiet) / 1000) });
      $("idle-warning").hidden = false;
    } else {
      hideIdleWarning();
    }
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
    b.addEventListener("click", function () { localScreen = b.dataset.go; toTop(); render(); });
  });
  document.querySelectorAll("[data-reset]").forEach(function (b) { b.addEventListener("click", resetScreen); });
  $("pay-button").addEventListener("click", checkout);
  $("page-prev").addEventListener("click", function () { page = Math.max(0, page - 1); render(); });
  $("page-next").addEventListener("click", function () { page = Math.min(pages() - 1, page + 1); render(); });
  $("idle-continue").addEventListener("click", hideIdleWarning);
  $("cancel-button").addEventListener("click", function () { api("POST", "/api/cancel").then(function (r) { receive(r.body); }); });
  ["pointerdown", "touchstart", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { lastTouch = Date.now(); hideIdleWarning(); }, { passive: true });
  });
  setInterval(function () { tick(); idleCheck(); }, 250);
  setInterval(loadCatalogue, 30000);

  applyI18n();
  loadCatalogue().then(poll);
})();
