/* The page's report buttons and the scorecard (units of one level × indicators, DHIS2's pivot).
 * Kept apart from app.js: it reads the period and framework from the page's controls (#year, #quarter,
 * #framework) and the language from <html lang>, and calls only /v1/org-units and /v1/reports/…. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    vi: {
      scorecard: "Bảng điểm các đơn vị",
      level: "Cấp",
      levels: { province: "Tỉnh", district: "Huyện", commune: "Xã, phường" },
      unit: "Đơn vị",
      rank: "Hạng",
      dti: "DTI",
      xlsx: "Tải Excel",
      csv: "Tải CSV",
      hint: "Mỗi ô là giá trị của chỉ số; màu: xanh đạt mục tiêu, vàng đạt từ một nửa, đỏ dưới một nửa, xám chưa có số liệu. Bấm tiêu đề cột để sắp xếp.",
      legend: "Tên đầy đủ các chỉ số trong bảng",
      empty: "Không có đơn vị nào ở cấp này.",
      error: "Không tải được bảng điểm.",
      light: { green: "đạt mục tiêu", amber: "đạt từ một nửa", red: "dưới một nửa", grey: "chưa có số liệu" },
      reports: "Báo cáo",
      reportsHint: "Theo kỳ và bộ chỉ số đang chọn.",
      qx: "Báo cáo quý gửi UBND tỉnh (Excel)",
      qp: "Báo cáo quý gửi UBND tỉnh (PDF)",
      ax: "Hồ sơ tự đánh giá năm (Excel)",
      owner: "Phụ trách",
    },
    en: {
      scorecard: "Scorecard of units",
      level: "Level",
      levels: { province: "Province", district: "District", commune: "Commune, ward" },
      unit: "Unit",
      rank: "Rank",
      dti: "DTI",
      xlsx: "Download Excel",
      csv: "Download CSV",
      hint: "Each cell is the indicator's value; colour: green target met, amber half way or more, red below half, grey no data. Click a column heading to sort.",
      legend: "Full names of the indicators in the table",
      empty: "No units at this level.",
      error: "The scorecard could not be loaded.",
      light: { green: "target met", amber: "half way or more", red: "below half", grey: "no data" },
      reports: "Reports",
      reportsHint: "For the period and framework selected.",
      qx: "Quarterly report to the People's Committee (Excel)",
      qp: "Quarterly report to the People's Committee (PDF)",
      ax: "Annual self-assessment workbook (Excel)",
      owner: "Owner",
    },
  };
  const lang = () => (document.documentElement.lang === "en" ? "en" : "vi");
  const t = (k) => TEXT[lang()][k];
  const state = { levels: [], level: null, data: null, body: "", sort: { col: "index", dir: -1 }, key: "" };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  /** The period and framework chosen on the page (its own controls, filled by app.js). */
  function selection() {
    const year = Number(($("year") || {}).value) || new Date().getFullYear();
    const quarter = ($("quarter") || {}).value || "";
    const framework = ($("framework") || {}).value || "";
    return { year, quarter, framework, period: quarter ? `${year}-${quarter}` : String(year) };
  }

  /** The quarter a quarterly report covers: the one chosen, else the latest of the chosen year that has begun. */
  function reportQuarter(sel) {
    if (sel.quarter) return `${sel.year}-${sel.quarter}`;
    const opts = Array.from(($("quarter") || { options: [] }).options).filter((o) => o.value && !o.disabled);
    return opts.length ? `${sel.year}-${opts[opts.length - 1].value}` : `${sel.year}-Q4`;
  }

  function qs(params) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
    return p.toString();
  }

  function updateLinks() {
    const sel = selection();
    const fw = sel.framework;
    const set = (id, path, params) => {
      const a = $(id);
      if (a) a.href = `${path}?${qs(params)}`;
    };
    set("report-quarterly-xlsx", "/v1/reports/quarterly", { period: reportQuarter(sel), format: "xlsx", framework: fw });
    set("report-quarterly-pdf", "/v1/reports/quarterly", { period: reportQuarter(sel), format: "pdf", framework: fw });
    set("report-assessment", "/v1/reports/assessment", { year: String(sel.year), format: "xlsx" });
    const card = { level: state.level, period: sel.period, framework: fw };
    set("scorecard-xlsx", "/v1/reports/scorecard", { ...card, format: "xlsx" });
    set("scorecard-csv", "/v1/reports/scorecard", { ...card, format: "csv" });
  }

  function texts() {
    $("scorecard-title").textContent = t("scorecard");
    $("scorecard-hint").textContent = t("hint");
    document.querySelector("label[for=scorecard-level]").textContent = t("level");
    $("scorecard-xlsx").textContent = t("xlsx");
    $("scorecard-csv").textContent = t("csv");
    document.querySelector("#scorecard-legend summary").textContent = t("legend");
    $("reports-title").textContent = t("reports");
    $("reports-hint").textContent = t("reportsHint");
    $("report-quarterly-xlsx").textContent = t("qx");
    $("report-quarterly-pdf").textContent = t("qp");
    $("report-assessment").textContent = t("ax");
    const sel = $("scorecard-level");
    for (const o of sel.options) o.textContent = TEXT[lang()].levels[o.value] || o.value;
  }

  function fmt(v, unit) {
    if (v === null || v === undefined) return "—";
    const loc = lang() === "en" ? "en-GB" : "vi-VN";
    if (unit === "percent") return `${(v * 100).toLocaleString(loc, { maximumFractionDigits: 0 })}%`;
    if (unit === "yes/no") return v >= 0.5 ? (lang() === "en" ? "Yes" : "Có") : lang() === "en" ? "No" : "Không";
    return v.toLocaleString(loc, { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
  }

  async function loadLevels() {
    const r = await fetch("/v1/org-units", { headers: { Accept: "application/json" } });
    const org = await r.json();
    const used = new Set(org.units.map((u) => u.level));
    const root = org.units.find((u) => u.parent === null);
    const levels = (org.levels || [...used]).filter((l) => used.has(l) && (!root || l !== root.level));
    state.levels = levels;
    if (!levels.includes(state.level)) state.level = levels.length ? levels[levels.length - 1] : null;
    const sel = $("scorecard-level");
    sel.replaceChildren(...levels.map((l) => el("option", { value: l }, TEXT[lang()].levels[l] || l)));
    sel.value = state.level || "";
  }

  async function load() {
    updateLinks();
    if (!state.level) return;
    const sel = selection();
    const key = `${state.level}|${sel.period}|${sel.framework}`;
    const box = $("scorecard");
    try {
      const r = await fetch(`/v1/reports/scorecard?${qs({ level: state.level, period: sel.period, framework: sel.framework, format: "json" })}`, {
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!r.ok) throw new Error(String(r.status));
      const body = await r.text();
      if (key === state.key && body === state.body) return; // nothing new: keep the table (and the reader's place)
      if (key !== state.key) state.sort = { col: "index", dir: -1 };
      state.key = key;
      state.body = body;
      state.data = JSON.parse(body);
      render();
    } catch (e) {
      box.dataset.state = "error";
      box.replaceChildren(el("p", { class: "hint" }, t("error")));
    }
  }

  /** Column headings: the full name of the indicator; when many columns share the width, the main indicator's
   * name and the indicator's number within it, the full name in a tooltip and in the legend below. */
  function render() {
    const data = state.data;
    const box = $("scorecard");
    const legend = $("scorecard-legend-list");
    if (!data) return;
    if (!data.rows.length) {
      box.dataset.state = "empty";
      box.replaceChildren(el("p", { class: "hint" }, t("empty")));
      legend.replaceChildren();
      return;
    }
    const en = lang() === "en";
    const cols = data.columns;
    const compact = cols.length > 9;
    const name = (c) => (en && c.name_en ? c.name_en : c.name);
    const groups = [];
    for (const c of cols) {
      if (groups.length && groups[groups.length - 1].main === c.main) groups[groups.length - 1].n += 1;
      else groups.push({ main: c.main, n: 1 });
    }
    const sortKey = (row, col) => {
      if (col === "name") return row.name;
      if (col === "index") return row.index;
      return row.cells[col].value;
    };
    const rows = data.rows.map((r, i) => ({ ...r, rank: i + 1 }));
    const { col, dir } = state.sort;
    rows.sort((a, b) => {
      const x = sortKey(a, col);
      const y = sortKey(b, col);
      if (x === null || x === undefined) return y === null || y === undefined ? a.rank - b.rank : 1;
      if (y === null || y === undefined) return -1;
      if (typeof x === "string") return dir * x.localeCompare(y, "vi");
      return dir * (x - y) || a.rank - b.rank;
    });
    const sortTh = (label, key, attrs) => {
      const sorted = state.sort.col === key ? (state.sort.dir > 0 ? "ascending" : "descending") : null;
      return el("th", { scope: "col", "aria-sort": sorted, ...attrs }, el("button", { type: "button", "data-sort": key }, label));
    };
    const n = 3 + cols.length;
    const colgroup = el(
      "colgroup",
      null,
      el("col", { style: "width:2.6rem" }),
      el("col", { style: `width:${cols.length > 12 ? 9.5 : 11}rem` }),
      el("col", { style: "width:4rem" }),
      cols.map(() => el("col"))
    );
    const head1 = el(
      "tr",
      null,
      el("th", { rowspan: 2, scope: "col" }, t("rank")),
      sortTh(t("unit"), "name", { rowspan: 2, class: "sc-unit" }),
      sortTh(t("dti"), "index", { rowspan: 2 }),
      groups.map((g) => el("th", { colspan: g.n, scope: "colgroup", class: "sc-main" }, g.main))
    );
    const counters = {};
    const head2 = el(
      "tr",
      null,
      cols.map((c, k) => {
        counters[c.main] = (counters[c.main] || 0) + 1;
        const label = compact ? `${c.main.split(" ").slice(-2).join(" ")} ${counters[c.main]}` : name(c);
        return sortTh(label, String(k), { class: "sc-ind", title: `${name(c)} — ${t("owner")}: ${c.owner}` });
      })
    );
    const body = el(
      "tbody",
      null,
      rows.map((r) =>
        el(
          "tr",
          { "data-unit": r.code },
          el("td", null, String(r.rank)),
          el("th", { scope: "row", class: "sc-unit", title: r.name }, r.name),
          el("td", null, r.index === null ? "—" : r.index.toLocaleString(en ? "en-GB" : "vi-VN", { minimumFractionDigits: 3, maximumFractionDigits: 3 })),
          r.cells.map((c, k) =>
            el(
              "td",
              { class: `l-${c.light}`, "data-light": c.light, title: `${name(cols[k])}: ${fmt(c.value, cols[k].unit)} (${TEXT[lang()].light[c.light]})` },
              fmt(c.value, cols[k].unit)
            )
          )
        )
      )
    );
    const table = el("table", { class: "scorecard", "data-columns": n }, colgroup, el("thead", null, head1, head2), body);
    box.dataset.state = "ready";
    box.replaceChildren(table);
    const c2 = {};
    legend.replaceChildren(
      ...cols.map((c) => {
        c2[c.main] = (c2[c.main] || 0) + 1;
        return el("li", null, `${c.main} ${c2[c.main]}: ${name(c)} (${t("owner")}: ${c.owner})`);
      })
    );
  }

  function onSort(ev) {
    const b = ev.target.closest("button[data-sort]");
    if (!b) return;
    const key = b.getAttribute("data-sort");
    const col = key === "name" || key === "index" ? key : Number(key);
    state.sort = state.sort.col === col ? { col, dir: -state.sort.dir } : { col, dir: col === "name" ? 1 : -1 };
    render();
  }

  async function start() {
    texts();
    try {
      await loadLevels();
    } catch (e) {
      $("scorecard").replaceChildren(el("p", { class: "hint" }, t("error")));
    }
    texts();
    $("scorecard").addEventListener("click", onSort);
    $("scorecard-level").addEventListener("change", () => {
      state.level = $("scorecard-level").value;
      load();
    });
    // app.js fills and changes the controls: follow them, and the language
    const form = $("controls");
    if (form) form.addEventListener("change", () => window.setTimeout(load, 0));
    for (const id of ["report-quarterly-xlsx", "report-quarterly-pdf", "report-assessment", "scorecard-xlsx", "scorecard-csv"]) {
      $(id).addEventListener("click", updateLinks);
    }
    new MutationObserver(() => {
      texts();
      render();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    new MutationObserver(() => load()).observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
    await load();
    window.setInterval(load, 30000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
