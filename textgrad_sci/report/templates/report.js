(function () {
  "use strict";
  var steps = Array.prototype.slice.call(document.querySelectorAll(".step"));
  var select = document.getElementById("step-select");

  function stepEl(n) {
    return steps.filter(function (s) { return s.dataset.step === String(n); })[0];
  }
  function currentStep() {
    return steps.filter(function (s) { return !s.hidden; })[0];
  }
  function selectStep(n) {
    var target = stepEl(n);
    if (!target) return;
    steps.forEach(function (s) { s.hidden = s !== target; });
    if (select) select.value = String(n);
    document.querySelectorAll("#timeline tr.step-row").forEach(function (r) {
      r.classList.toggle("current", r.dataset.step === String(n));
    });
    document.querySelectorAll(".chart .pt").forEach(function (p) {
      p.classList.toggle("current", p.dataset.step === String(n));
    });
    try { history.replaceState(null, "", "#step-" + n); } catch (e) { /* some file: pages */ }
  }
  function selectNode(step, id) {
    if (!step) return;
    var found = false;
    step.querySelectorAll(".node-detail").forEach(function (d) {
      var on = d.dataset.id === String(id);
      d.hidden = !on;
      found = found || on;
    });
    step.querySelectorAll(".graph .node").forEach(function (g) {
      g.classList.toggle("selected", g.dataset.id === String(id));
    });
    var graph = step.querySelector(".graph");
    if (graph) {
      var key = String(id), fn = "fn-" + key;
      graph.classList.toggle("focus", found);
      graph.querySelectorAll(".edge").forEach(function (e) {
        var a = e.dataset.from, b = e.dataset.to;
        e.classList.toggle("lit", found && (a === key || b === key || b === fn));
      });
    }
    var hint = step.querySelector(".node-panel .hint");
    if (hint) hint.hidden = found;
  }
  function nodeByName(step, name) {
    return Array.prototype.slice.call(step.querySelectorAll(".graph .node")).filter(function (g) {
      return g.dataset.name === name;
    })[0];
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var node = t.closest && t.closest(".graph .node");
    if (node) { selectNode(node.closest(".step"), node.dataset.id); return; }
    var link = t.closest && t.closest("a.goto-node");
    if (link) {
      ev.preventDefault();
      var step = link.closest(".step");
      var g = nodeByName(step, link.dataset.name);
      if (g) { selectNode(step, g.dataset.id); g.scrollIntoView({block: "nearest", inline: "center"}); }
      return;
    }
    var row = t.closest && t.closest("#timeline tr.step-row");
    if (row) { selectStep(row.dataset.step); return; }
    var pt = t.closest && t.closest(".chart .pt");
    if (pt) { selectStep(pt.dataset.step); document.getElementById("step-view").scrollIntoView(); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    var t = ev.target;
    if (t.classList && t.classList.contains("node")) { ev.preventDefault(); t.dispatchEvent(new MouseEvent("click", {bubbles: true})); }
    if (t.classList && t.classList.contains("step-row")) { ev.preventDefault(); selectStep(t.dataset.step); document.getElementById("step-view").scrollIntoView(); }
  });
  var showFeedback = document.getElementById("show-feedback");
  if (showFeedback) showFeedback.addEventListener("change", function () {
    document.body.classList.toggle("no-feedback-edges", !showFeedback.checked);
  });
  if (select) select.addEventListener("change", function () { selectStep(select.value); });
  function shift(d) {
    var cur = currentStep();
    var i = steps.indexOf(cur) + d;
    if (i >= 0 && i < steps.length) selectStep(steps[i].dataset.step);
  }
  var prev = document.getElementById("prev-step"), next = document.getElementById("next-step");
  if (prev) prev.addEventListener("click", function () { shift(-1); });
  if (next) next.addEventListener("click", function () { shift(1); });
  var linked = /^#step-(\d+)$/.exec(location.hash);
  if (linked && stepEl(linked[1])) {
    selectStep(linked[1]);
    document.getElementById("step-view").scrollIntoView();
  } else if (steps.length) {
    var keep = location.hash;
    selectStep(steps[steps.length - 1].dataset.step);
    try { history.replaceState(null, "", keep || location.pathname); } catch (e) { /* ignore */ }
  }
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "ArrowLeft") shift(-1);
    else if (ev.key === "ArrowRight") shift(1);
    else if (ev.key === "/") { ev.preventDefault(); document.getElementById("search").focus(); }
  });

  // -- search: highlight matches, open collapsed texts, count matches per step ---------------
  var input = document.getElementById("search");
  var counter = document.getElementById("search-count");
  var onlyHits = document.getElementById("only-hits");
  var marks = [], active = -1, timer = null;

  function clearMarks() {
    document.querySelectorAll("mark.hl").forEach(function (m) {
      var parent = m.parentNode;
      parent.replaceChild(document.createTextNode(m.textContent), m);
      parent.normalize();
    });
    document.querySelectorAll(".graph .node.hit").forEach(function (g) { g.classList.remove("hit"); });
    marks = []; active = -1;
  }
  function highlight(root, q) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (node) {
      var text = node.nodeValue, lower = text.toLowerCase(), at = lower.indexOf(q);
      if (at < 0) return;
      var frag = document.createDocumentFragment(), last = 0;
      while (at >= 0) {
        frag.appendChild(document.createTextNode(text.slice(last, at)));
        var m = document.createElement("mark");
        m.className = "hl";
        m.textContent = text.slice(at, at + q.length);
        frag.appendChild(m);
        marks.push(m);
        last = at + q.length;
        at = lower.indexOf(q, last);
      }
      frag.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(frag, node);
    });
  }
  var MAX_MARKS = 2000, items = null, lastQuery = "";
  function searchItems() {
    if (!items) {
      items = Array.prototype.slice.call(document.querySelectorAll(".searchable")).map(function (el) {
        var step = el.closest(".step"), detail = el.closest(".node-detail");
        return {el: el, step: step ? step.dataset.step : null, stepEl: step, detail: detail ? detail.dataset.id : null};
      });
    }
    return items;
  }
  function occurrences(text, q) {
    var n = 0, at = text.indexOf(q);
    while (at >= 0) { n++; at = text.indexOf(q, at + q.length); }
    return n;
  }
  function runSearch() {
    clearMarks();
    var q = input.value.trim().toLowerCase();
    lastQuery = q;
    var searching = q.length >= 2;
    document.body.classList.toggle("searching", searching);
    var perStep = {}, total = 0;
    if (searching) {
      searchItems().forEach(function (item) {
        var n = occurrences(item.el.textContent.toLowerCase(), q);
        if (!n) return;
        total += n;
        if (item.step !== null) perStep[item.step] = (perStep[item.step] || 0) + n;
        if (item.detail !== null && item.stepEl) {
          item.stepEl.querySelectorAll(".graph .node").forEach(function (g) {
            if (g.dataset.id === item.detail) g.classList.add("hit");
          });
        }
        if (marks.length < MAX_MARKS) {
          highlight(item.el, q);
          var d = item.el;
          while (d) { if (d.tagName === "DETAILS") d.open = true; d = d.parentNode; }
        }
      });
    }
    counter.textContent = !searching ? "" : total + " match" + (total === 1 ? "" : "es") +
      (marks.length >= MAX_MARKS ? " (first " + marks.length + " highlighted)" : "");
    document.querySelectorAll("#timeline tr.step-row").forEach(function (r) {
      var n = perStep[r.dataset.step] || 0;
      r.querySelector(".hits").textContent = n ? String(n) : "";
      r.classList.toggle("filtered", searching && onlyHits.checked && n === 0);
    });
  }
  function gotoMatch() {
    if (!marks.length) return;
    if (active >= 0 && marks[active]) marks[active].classList.remove("active");
    active = (active + 1) % marks.length;
    var m = marks[active];
    m.classList.add("active");
    var step = m.closest(".step");
    if (step) selectStep(step.dataset.step);
    var detail = m.closest(".node-detail");
    if (detail) selectNode(step, detail.dataset.id);
    m.scrollIntoView({block: "center"});
  }
  if (input) {
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(runSearch, 150); });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(timer);
        if (input.value.trim().toLowerCase() !== lastQuery) runSearch();
        gotoMatch();
      }
    });
    onlyHits.addEventListener("change", runSearch);
  }
})();
