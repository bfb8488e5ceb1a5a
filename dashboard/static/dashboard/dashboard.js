/* Webhook dashboard: fetch /webhook/dashboard/data, fill the cards and tables, draw the charts.
 * Every number shown carries data-value (the raw JSON number) for tests and tooling; the root
 * gets data-rendered="true" once all charts are drawn. Data is inserted as text, never HTML. */
(function () {
  "use strict";

  const root = document.getElementById("hub-dashboard");
  if (!root) return;
  const form = document.getElementById("dash-filters");
  const statusLine = document.getElementById("dash-status");
  const charts = {};
  const css = getComputedStyle(root);
  const color = (name, fallback) => (css.getPropertyValue(name) || "").trim() || fallback;
  const OK = color("--dash-ok", "#2f9e5b");
  const BAD = color("--error-fg", "#ba2121");
  const PRIMARY = color("--secondary", "#417690");
  const QUIET = color("--body-quiet-color", "#666");
  const GRID = color("--hairline-color", "#e8e8e8");
  const PALETTE = [PRIMARY, "#79aec8", "#e0a030", "#8e6bbf", "#3fa7a0", "#d9644a", "#9aa53c", "#c76b98"];
  const INBOUND_COLORS = {
    received: "#79aec8", processing: "#e0a030", done: OK, failed: BAD, rejected: "#8e6bbf", duplicate: "#999",
  };
  const numberFormat = new Intl.NumberFormat();

  // --- formatting ----------------------------------------------------------------------------
  const fmtCount = (n) => numberFormat.format(n);
  const fmtRate = (r) => (r === null || r === undefined ? "–" : `${r.toFixed(1)} %`);
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return "–";
    return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
  }
  function fmtWhen(iso) {
    const d = new Date(iso);
    return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function shortDate(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function setMetric(id, value, text) {
    const el = document.getElementById(id);
    if (!el) return;
    el.dataset.value = value === null || value === undefined ? "" : String(value);
    el.textContent = text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "data") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function adminLink(base, params) {
    if (!base) return null;
    const query = new URLSearchParams(params).toString();
    return query ? `${base}?${query}` : base;
  }

  // --- query string <-> form -----------------------------------------------------------------
  function currentQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
    return params;
  }

  function formFromLocation() {
    const params = new URLSearchParams(window.location.search);
    for (const name of ["days", "rule", "model"]) {
      const field = form.elements[name];
      const value = params.get(name);
      if (field && value && [...field.options].some((o) => o.value === value)) field.value = value;
    }
  }

  // --- rendering -----------------------------------------------------------------------------
  function renderSummary(data) {
    const s = data.summary;
    for (const key of ["total_sent", "success_count", "failed_count", "pending_count", "test_count", "retry_queue", "dead_letter"]) {
      setMetric(`summary-${key}`, s[key], fmtCount(s[key]));
    }
    setMetric("summary-success_rate", s.success_rate, fmtRate(s.success_rate));
    setMetric("summary-avg_duration_ms", s.avg_duration_ms, fmtMs(s.avg_duration_ms));
    const rateCard = document.getElementById("card-success_rate");
    rateCard.classList.toggle("is-alert", s.success_rate !== null && s.success_rate < 95);
    rateCard.classList.toggle("is-good", s.success_rate !== null && s.success_rate >= 99);
    document.getElementById("card-failed").classList.toggle("is-alert", s.failed_count > 0);
    document.getElementById("link-dead_letter").classList.toggle("is-alert", s.dead_letter > 0);

    const filters = {};
    if (data.range.rule) filters.rule__id__exact = data.range.rule;
    const retries = root.dataset.retriesUrl;
    const queue = document.getElementById("link-retry_queue");
    const dead = document.getElementById("link-dead_letter");
    queue.href = adminLink(retries, { state__in: "pending,retrying", ...filters }) || "#";
    dead.href = adminLink(retries, { state__exact: "exhausted", ...filters }) || "#";
    setMetric("inbound-total", data.inbound.total, fmtCount(data.inbound.total));
    setMetric("inbound-verification_failed", data.inbound.verification_failed, fmtCount(data.inbound.verification_failed));
    document.getElementById("dash-generated").textContent = new Date(data.range.generated_at).toLocaleTimeString();
  }

  function renderEndpoints(data) {
    const body = document.querySelector("#table-endpoints tbody");
    body.replaceChildren();
    if (!data.top_endpoints.length) {
      body.append(el("tr", { class: "empty" }, el("td", { colspan: 6 }, "No deliveries sent in this period.")));
      return;
    }
    const logs = root.dataset.logsUrl;
    data.top_endpoints.forEach((e, index) => {
      const rate = e.success_rate ?? 0;
      const failedLink = e.failed && logs ? el("a", { href: adminLink(logs, { url__exact: e.url, status__exact: "failed" }) }, fmtCount(e.failed)) : fmtCount(e.failed);
      body.append(
        el("tr", { data: { url: e.url }, id: `endpoint-${index}` },
          el("td", { class: "url" }, logs ? el("a", { href: adminLink(logs, { url__exact: e.url }) }, e.url) : e.url),
          el("td", { class: "num", data: { field: "total", value: e.total } }, fmtCount(e.total)),
          el("td", { class: "num", data: { field: "success", value: e.success } }, fmtCount(e.success)),
          el("td", { class: "num", data: { field: "failed", value: e.failed } }, failedLink),
          el("td", { class: "num", data: { field: "success_rate", value: e.success_rate ?? "" } },
            fmtRate(e.success_rate), el("span", { class: "dash-bar", "aria-hidden": "true" }, el("span", { style: `width:${rate}%` }))),
          el("td", { class: "num", data: { field: "avg_duration_ms", value: e.avg_duration_ms ?? "" } }, fmtMs(e.avg_duration_ms)),
        ),
      );
    });
  }

  function renderErrors(data) {
    const body = document.querySelector("#table-errors tbody");
    body.replaceChildren();
    if (!data.recent_errors.length) {
      body.append(el("tr", { class: "empty" }, el("td", { colspan: 6 }, "No failed deliveries in this period.")));
      return;
    }
    for (const e of data.recent_errors) {
      const when = e.admin_url ? el("a", { href: e.admin_url, title: `log #${e.id}` }, fmtWhen(e.created_at)) : fmtWhen(e.created_at);
      body.append(
        el("tr", { data: { logId: e.id } },
          el("td", { class: "when" }, when),
          el("td", null, e.rule_name || "–"),
          el("td", null, `${e.model}.${e.event_code}`),
          el("td", { class: "url" }, e.url),
          el("td", { class: "num" }, e.response_status ? el("span", { class: "dash-pill" }, e.response_status) : "–"),
          el("td", { class: "err" }, e.error || "–"),
        ),
      );
    }
  }

  function laneState(l) {
    // A lane is listed when it is paused, its breaker is not closed, or a Retry-After holds it.
    if (l.paused) return ["paused", l.paused_at];
    if (l.breaker_state === "open") return ["breaker open", l.open_until];
    if (l.breaker_state === "half_open") return ["breaker half-open (probing)", null];
    return ["slowed by Retry-After", l.slow_until];
  }

  function renderLanes(data) {
    const body = document.querySelector("#table-lanes tbody");
    body.replaceChildren();
    if (!data.lanes.length) {
      body.append(el("tr", { class: "empty" }, el("td", { colspan: 6 }, "Every lane is sending: none paused, no breaker open.")));
      return;
    }
    const lanes = root.dataset.lanesUrl;
    for (const l of data.lanes) {
      const [state, when] = laneState(l);
      const name = l.rule_name || `rule #${l.rule}`;
      body.append(
        el("tr", { data: { rule: l.rule, state: l.paused ? "paused" : l.breaker_state } },
          el("td", null, lanes ? el("a", { href: adminLink(lanes, { rule__id__exact: l.rule }) }, name) : name),
          el("td", null, el("span", { class: "dash-pill" }, state)),
          el("td", { class: "when" }, when ? fmtWhen(when) : "–"),
          el("td", { class: "num", data: { field: "held", value: l.held } }, fmtCount(l.held)),
          el("td", { class: "num" }, fmtCount(l.breaker_failures)),
          el("td", { class: "err" }, l.last_error || "–"),
        ),
      );
    }
  }

  // --- charts --------------------------------------------------------------------------------
  function baseOptions(extra) {
    return Object.assign({
      animation: false, // drawn synchronously: data-rendered is then exact, and updates are instant
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { labels: { color: QUIET, boxWidth: 12 } }, tooltip: { mode: "index", intersect: false } },
    }, extra);
  }
  const axis = (extra) => Object.assign({ ticks: { color: QUIET, maxRotation: 0, autoSkipPadding: 8 }, grid: { color: GRID } }, extra);

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function renderCharts(data) {
    const days = data.daily_traffic;
    const labels = days.map((d) => shortDate(d.date));
    draw("chart-daily", {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: "Success", data: days.map((d) => d.success), backgroundColor: OK, stack: "sent" },
          { label: "Failed", data: days.map((d) => d.failed), backgroundColor: BAD, stack: "sent" },
        ],
      },
      options: baseOptions({ scales: { x: axis({ stacked: true, grid: { display: false } }), y: axis({ stacked: true, beginAtZero: true, ticks: { color: QUIET, precision: 0 } }) } }),
    });
    draw("chart-rate", {
      type: "line",
      data: {
        labels,
        datasets: [{
          label: "Success rate (%)",
          data: days.map((d) => (d.total ? Math.round((1000 * d.success) / d.total) / 10 : null)),
          borderColor: PRIMARY, backgroundColor: PRIMARY, spanGaps: true, pointRadius: days.length > 31 ? 0 : 3,
        }],
      },
      options: baseOptions({ plugins: { legend: { display: false } }, scales: { x: axis({ grid: { display: false } }), y: axis({ suggestedMin: 80, max: 100 }) } }),
    });
    const models = data.events_per_model;
    draw("chart-models", {
      type: "bar",
      data: {
        labels: models.map((m) => m.model || "(none)"),
        datasets: [
          { label: "Success", data: models.map((m) => m.success), backgroundColor: OK, stack: "sent" },
          { label: "Failed", data: models.map((m) => m.failed), backgroundColor: BAD, stack: "sent" },
        ],
      },
      options: baseOptions({ indexAxis: "y", scales: { x: axis({ stacked: true, beginAtZero: true }), y: axis({ stacked: true, grid: { display: false } }) } }),
    });
    const events = data.event_types;
    draw("chart-events", {
      type: "doughnut",
      data: {
        labels: events.map((e) => e.event_code || "(none)"),
        datasets: [{ data: events.map((e) => e.total), backgroundColor: events.map((_, i) => PALETTE[i % PALETTE.length]), borderWidth: 1 }],
      },
      options: baseOptions({ cutout: "55%", plugins: { legend: { position: "right", labels: { color: QUIET, boxWidth: 12 } } } }),
    });
    const states = Object.entries(data.inbound.states);
    draw("chart-inbound", {
      type: "bar",
      data: {
        labels: states.map(([state]) => state),
        datasets: [{ label: "Requests", data: states.map(([, n]) => n), backgroundColor: states.map(([state]) => INBOUND_COLORS[state] || PRIMARY) }],
      },
      options: baseOptions({ plugins: { legend: { display: false } }, scales: { x: axis({ grid: { display: false } }), y: axis({ beginAtZero: true, ticks: { color: QUIET, precision: 0 } }) } }),
    });
  }

  // --- loading -------------------------------------------------------------------------------
  let generation = 0;

  async function load() {
    const mine = ++generation;
    const query = currentQuery();
    root.dataset.rendered = "false";
    statusLine.classList.remove("is-error");
    statusLine.textContent = "Loading…";
    window.history.replaceState(null, "", query.toString() ? `?${query}` : window.location.pathname);
    let data;
    try {
      const response = await fetch(`${root.dataset.url}?${query}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      data = await response.json();
      if (!response.ok) throw new Error(Object.values(data).flat().join(" ") || `HTTP ${response.status}`);
    } catch (error) {
      if (mine !== generation) return;
      statusLine.classList.add("is-error");
      statusLine.textContent = `Could not load the numbers: ${error.message}`;
      root.dataset.rendered = "error";
      return;
    }
    if (mine !== generation) return; // a newer request is on its way
    renderSummary(data);
    renderEndpoints(data);
    renderErrors(data);
    renderLanes(data);
    renderCharts(data);
    const r = data.range;
    statusLine.textContent = `${shortDate(r.start)} – ${shortDate(r.end)}` +
      (r.rule ? ` · rule #${r.rule}` : "") + (r.model ? ` · ${r.model}` : "");
    root.dataset.query = query.toString();
    root.dataset.rendered = "true";
  }

  formFromLocation();
  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  if (typeof Chart === "undefined") {
    statusLine.classList.add("is-error");
    statusLine.textContent = "The chart library did not load (dashboard/vendor/chart.umd.min.js).";
    root.dataset.rendered = "error";
    return;
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  load();
})();
