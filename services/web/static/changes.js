/* "What changed": under each indicator's value, its value a week and a quarter before (recomputed from the
 * event log by GET /v1/changes) and the date of its latest data. Kept apart from app.js: it reads the unit,
 * period and framework from the page's address and controls, and decorates the indicator rows app.js draws
 * (again after each redraw). */
(function () {
  "use strict";
  const T = {
    vi: { week: "7 ngày trước", quarter: "3 tháng trước", latest: "số liệu mới nhất", none: "chưa có" },
    en: { week: "a week ago", quarter: "3 months ago", latest: "latest data", none: "none" },
  };
  const lang = () => (document.documentElement.lang === "en" ? "en" : "vi");
  let data = null;
  let key = "";
  let busy = false;

  function query() {
    const p = new URLSearchParams(window.location.search);
    const year = (document.getElementById("year") || {}).value || "";
    const quarter = (document.getElementById("quarter") || {}).value || "";
    const out = new URLSearchParams();
    if (p.get("unit")) out.set("org_unit", p.get("unit"));
    const period = p.get("period") || (year ? (quarter ? `${year}-${quarter}` : year) : "");
    if (period) out.set("period", period);
    const fw = p.get("framework") || (document.getElementById("framework") || {}).value || "";
    if (fw) out.set("framework", fw);
    return out.toString();
  }

  function fmtDate(iso) {
    if (!iso) return T[lang()].none;
    const [y, m, d] = iso.split("-");
    return lang() === "en" ? `${d}/${m}/${y}` : `${d}/${m}/${y}`;
  }
  function fmt(v, unit) {
    if (v === null || v === undefined) return "—";
    const loc = lang() === "en" ? "en-GB" : "vi-VN";
    if (unit === "percent") return `${(v * 100).toLocaleString(loc, { maximumFractionDigits: 1 })}%`;
    if (unit === "yes/no") return v >= 0.5 ? (lang() === "en" ? "Yes" : "Có") : lang() === "en" ? "No" : "Không";
    return v.toLocaleString(loc, { maximumFractionDigits: 2 });
  }

  function decorate() {
    if (!data) return;
    const t = T[lang()];
    const byCode = new Map(data.indicators.map((i) => [i.code, i]));
    for (const tr of document.querySelectorAll("#panels tr[data-indicator]")) {
      const i = byCode.get(tr.getAttribute("data-indicator"));
      const cell = tr.querySelector(".value-cell");
      if (!i || !cell) continue;
      const old = cell.querySelector(".changes");
      const parts = [];
      if (i.week_ago && i.week_ago.available) parts.push(`${t.week}: ${fmt(i.week_ago.value, i.unit)}`);
      if (i.quarter_ago && i.quarter_ago.available) parts.push(`${t.quarter}: ${fmt(i.quarter_ago.value, i.unit)}`);
      parts.push(`${t.latest}: ${fmtDate(i.latest_data)}`);
      const text = parts.join("\n");
      if (old && old.dataset.text === text) continue;
      const span = old || document.createElement("div");
      span.className = "changes muted";
      span.dataset.text = text;
      span.replaceChildren(...parts.map((x) => Object.assign(document.createElement("span"), { className: "block-line", textContent: x })));
      span.dataset.weekAgo = i.week_ago && i.week_ago.value !== null ? String(i.week_ago.value) : "";
      span.dataset.quarterAgo = i.quarter_ago && i.quarter_ago.value !== null ? String(i.quarter_ago.value) : "";
      span.dataset.latestData = i.latest_data || "";
      if (!old) cell.appendChild(span);
    }
  }

  async function load() {
    const q = query();
    if (busy) return;
    busy = true;
    try {
      const r = await fetch(`/v1/changes?${q}`, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (r.ok) {
        data = await r.json();
        key = q;
        document.body.dataset.changes = key || "default";
        decorate();
      }
    } catch (e) {
      /* the indicator table stands without it */
    } finally {
      busy = false;
    }
  }

  function start() {
    const panels = document.getElementById("panels");
    if (panels) {
      new MutationObserver(() => {
        if (query() !== key) load();
        else decorate();
      }).observe(panels, { childList: true, subtree: true });
    }
    new MutationObserver(decorate).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    load();
    window.setInterval(load, 60000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
