/* DTI Monitor — the page for the province's officials.
 *
 * Plain JavaScript, no build step and no dependencies: it reads the read API of `dti up`
 * (/v1/scores, /v1/scores/units, /v1/gaps, /v1/org-units, /v1/rules, /v1/alerts) and polls it.
 * Every name shown for an indicator, pillar, unit or department comes from the API (the rules files).
 * Numbers are also written, unformatted, into data-* attributes so tests can compare them with the API.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ texts (Vietnamese first)
  const TEXT = {
    vi: {
      docTitle: "DTI Monitor — Chỉ số chuyển đổi số",
      skip: "Bỏ qua, đến nội dung chính",
      title: "Chỉ số chuyển đổi số",
      subtitle: "DTI Monitor — theo dõi gần thời gian thực",
      filters: "Bộ lọc",
      year: "Năm",
      period: "Kỳ",
      wholeYear: "Cả năm",
      quarter: "Quý {n}",
      framework: "Bộ chỉ số",
      compare: "So sánh hai bộ chỉ số",
      compareWith: "So sánh với",
      onlyOneFramework: "Chỉ có một bộ chỉ số",
      breadcrumb: "Đơn vị đang xem",
      loading: "Đang tải…",
      dti: "Chỉ số DTI",
      points: "điểm",
      ofPoints: "{a} / {b} điểm",
      goal: "Mục tiêu {year}",
      noGoal: "Chưa đặt mục tiêu",
      goalRank: "hạng {rank}/{of}",
      estimatedRank: "Hạng ước tính: {rank}/{of} (so với bảng DTI các tỉnh năm {year}, không phải kết quả công bố)",
      covers: "Chỉ số của đơn vị chỉ gồm {n}/{all} chỉ số chính ({list}); so với các đơn vị cùng cấp, không so với DTI hay mục tiêu của tỉnh.",
      published: "Kết quả công bố",
      publishedDti: "{year}: {value}",
      publishedRank: "hạng {rank}/{of}",
      publishedAverage: "trung bình các tỉnh {value}",
      unknown: "chưa công bố",
      openYears: "Năm đang mở: {list}",
      trend: "Xu hướng",
      trendDesc: "Giá trị DTI các năm trước và từng quý của năm {year} (luỹ kế từ đầu năm).",
      trendEmpty: "Chưa có số liệu để vẽ xu hướng.",
      trendTable: "Bảng số liệu xu hướng",
      pillars: "Ba trụ cột",
      indicators: "Chỉ số thành phần so với mục tiêu",
      colIndicator: "Chỉ số",
      colValue: "Giá trị",
      colTarget: "Mục tiêu",
      colStatus: "Trạng thái",
      colTrajectory: "Lộ trình",
      colPoints: "Điểm",
      colOwner: "Đơn vị phụ trách",
      mainIndicator: "Chỉ số chính",
      expected: "cần đạt {v}",
      missing: "Thiếu số liệu: {list}",
      units: "So sánh các đơn vị",
      unitsHint: "Chọn một đơn vị để xem điểm chi tiết.",
      unitsNone: "Không có đơn vị cấp dưới.",
      colRank: "Hạng",
      colUnit: "Đơn vị",
      viewing: "đang xem",
      alerts: "Cảnh báo đang hoạt động",
      noAlerts: "Chưa có cảnh báo",
      noAlertsHint: "Không có cảnh báo nào đang hoạt động.",
      alertsError: "Không tải được danh sách cảnh báo.",
      since: "từ {t}",
      alertsMore: "và {n} cảnh báo khác (xem /v1/alerts)",
      alertUnits: "{n} đơn vị",
      alertFrameworks: "Bộ chỉ số",
      alertInhibited: "do hệ thống nguồn không gửi số liệu (không gửi thông báo riêng)",
      alertsBySeverity: "Theo mức độ",
      alertsByDept: "Theo đơn vị nhận",
      gaps: "Điểm có thể tăng thêm, theo sở ngành",
      gapsHint: "Số điểm DTI tăng thêm nếu từng chỉ số đạt mục tiêu.",
      noGaps: "Mọi chỉ số đã đạt mục tiêu.",
      gainPoints: "+{v} điểm",
      moreIndicators: "Xem thêm {n} chỉ số",
      byFramework: "Bộ chỉ số: {name}",
      rulesVersion: "Phiên bản quy tắc",
      asOf: "Số liệu đến ngày",
      updatedAt: "Cập nhật lúc",
      pollNote: "tự động cập nhật mỗi {n} giây",
      apiDocs: "Tài liệu API",
      offline: "Không tải được số liệu từ máy chủ, đang thử lại…",
      announce: "Chỉ số DTI của {unit} vừa cập nhật: {v}",
      yes: "Có",
      no: "Không",
      rank: "hạng",
      status: {
        met: "Đạt",
        below_target: "Chưa đạt",
        no_data: "Chưa có số liệu",
        complete: "Đủ số liệu",
        partial: "Thiếu một phần số liệu",
        not_applicable: "Không áp dụng",
        not_scored: "Không chấm điểm",
        on_track: "Đúng lộ trình",
        at_risk: "Có nguy cơ chậm",
        off_track: "Chậm lộ trình",
      },
      severity: { critical: "Nghiêm trọng", warning: "Cảnh báo", info: "Thông tin" },
      labels: { org_unit: "Đơn vị", indicator: "Chỉ số", department: "Phụ trách", period: "Kỳ" },
    },
    en: {
      docTitle: "DTI Monitor — Digital Transformation Index",
      skip: "Skip to main content",
      title: "Digital Transformation Index",
      subtitle: "DTI Monitor — near-real-time monitoring",
      filters: "Filters",
      year: "Year",
      period: "Period",
      wholeYear: "Whole year",
      quarter: "Q{n}",
      framework: "Framework",
      compare: "Compare two frameworks",
      compareWith: "Compare with",
      onlyOneFramework: "Only one framework",
      breadcrumb: "Unit shown",
      loading: "Loading…",
      dti: "DTI value",
      points: "points",
      ofPoints: "{a} / {b} points",
      goal: "Goal {year}",
      noGoal: "No goal set",
      goalRank: "rank {rank}/{of}",
      estimatedRank: "Estimated rank: {rank}/{of} (against the provinces' {year} DTI table, not a published result)",
      covers: "This unit's index covers only {n} of {all} main indicators ({list}); compare it with units of its level, not with the province's DTI or goal.",
      published: "Published results",
      publishedDti: "{year}: {value}",
      publishedRank: "rank {rank}/{of}",
      publishedAverage: "provinces' average {value}",
      unknown: "not published",
      openYears: "Open years: {list}",
      trend: "Trend",
      trendDesc: "DTI value in previous years and in each quarter of {year} (year to date).",
      trendEmpty: "No data to draw a trend yet.",
      trendTable: "Trend data",
      pillars: "The three pillars",
      indicators: "Component indicators against their targets",
      colIndicator: "Indicator",
      colValue: "Value",
      colTarget: "Target",
      colStatus: "Status",
      colTrajectory: "Trajectory",
      colPoints: "Points",
      colOwner: "Owner",
      mainIndicator: "Main indicator",
      expected: "expected {v}",
      missing: "Missing data: {list}",
      units: "Units side by side",
      unitsHint: "Select a unit to see its scores.",
      unitsNone: "No units below this one.",
      colRank: "Rank",
      colUnit: "Unit",
      viewing: "shown",
      alerts: "Firing alerts",
      noAlerts: "No alerts",
      noAlertsHint: "No alert is firing.",
      alertsError: "Could not load the alerts.",
      since: "since {t}",
      alertsMore: "and {n} more (see /v1/alerts)",
      alertUnits: "{n} units",
      alertFrameworks: "Framework",
      alertInhibited: "explained by a silent source system (not notified on its own)",
      alertsBySeverity: "By severity",
      alertsByDept: "By receiver",
      gaps: "Points to gain, by department",
      gapsHint: "DTI points gained if each indicator reached its target.",
      noGaps: "Every indicator meets its target.",
      gainPoints: "+{v} points",
      moreIndicators: "{n} more indicators",
      byFramework: "Framework: {name}",
      rulesVersion: "Rules version",
      asOf: "Data as of",
      updatedAt: "Updated at",
      pollNote: "updates every {n} s",
      apiDocs: "API documentation",
      offline: "Could not load the figures from the server, retrying…",
      announce: "DTI of {unit} updated: {v}",
      yes: "Yes",
      no: "No",
      rank: "rank",
      status: {
        met: "Met",
        below_target: "Below target",
        no_data: "No data",
        complete: "Complete",
        partial: "Partial data",
        not_applicable: "Not applicable",
        not_scored: "Not scored",
        on_track: "On track",
        at_risk: "At risk",
        off_track: "Off track",
      },
      severity: { critical: "Critical", warning: "Warning", info: "Info" },
      labels: { org_unit: "Unit", indicator: "Indicator", department: "Owner", period: "Period" },
    },
  };

  // ------------------------------------------------------------------ state
  const params = new URLSearchParams(window.location.search);
  const POLL_MS = Math.max(250, Number(params.get("poll")) || 5000);

  const state = {
    lang: params.get("lang") || safeStorage("dti.lang") || "vi",
    unit: params.get("unit") || null,
    year: null,
    quarter: "",
    fw: params.get("framework") || null,
    fw2: params.get("compare") || null,
    compare: params.has("compare"),
  };
  if (!TEXT[state.lang]) state.lang = "vi";
  const initialPeriod = params.get("period");

  const meta = {
    rulesVersion: null,
    orgUnits: [],
    byCode: new Map(),
    children: new Map(),
    root: null,
    frameworks: [], // [{code, name, name_en, years}]
    departments: new Map(), // code -> {name, name_en}, learnt from /v1/gaps
    today: null, // the province's date, from the API's as_of
    defaultYear: null, // the year shown without a choice: the oldest open assessment year (GET /v1/scores)
  };

  let generation = 0;
  let timer = null;
  let lastData = null; // the last complete refresh, re-rendered when the language changes
  const lastJson = {}; // section -> JSON of what it shows, to re-render only what changed
  let lastAnnounced = null;
  let refreshCount = 0;

  // ------------------------------------------------------------------ small helpers
  function safeStorage(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      window.localStorage.setItem(key, value);
    } catch (_e) {
      /* storage may be disabled: the page still works */
    }
    return null;
  }

  function t(key, vars) {
    const parts = key.split(".");
    let s = TEXT[state.lang];
    for (const p of parts) s = s == null ? undefined : s[p];
    if (s === undefined) {
      s = TEXT.vi;
      for (const p of parts) s = s == null ? undefined : s[p];
    }
    if (s === undefined) return key;
    return String(s).replace(/\{(\w+)\}/g, (_m, k) => (vars && k in vars ? vars[k] : ""));
  }

  /** Localised name of something from the rules file: name_en in English when it has one. */
  function nm(obj) {
    if (!obj) return "";
    if (state.lang === "en" && obj.name_en) return obj.name_en;
    return obj.name || obj.code || "";
  }

  function h(tag, attrs, ...children) {
    const el = tag === "svg" || SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") el.setAttribute("class", v);
        else if (k === "text") el.textContent = v;
        else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return el;
  }
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SVG_TAGS = new Set(["g", "line", "path", "circle", "text", "rect", "title", "desc", "polyline"]);

  function locale() {
    return state.lang === "vi" ? "vi-VN" : "en-GB";
  }
  function num(v, minFd, maxFd) {
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: minFd, maximumFractionDigits: maxFd }).format(v);
  }
  /** DTI, pillar and main-indicator values: 0..1 with four decimals, as the ministry publishes them. */
  function fmtIndex(v) {
    return v === null || v === undefined ? "—" : num(v, 4, 4);
  }
  function fmtValue(v, unit) {
    if (v === null || v === undefined) return "—";
    switch (unit) {
      case "percent":
        return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(v);
      case "count":
      case "number":
        return num(v, 0, 2);
      case "rank":
        return t("rank") + " " + num(v, 0, 0);
      case "yes_no":
        return v >= 1 ? t("yes") : t("no");
      default:
        return num(v, 0, 3) + (unit ? " " + unit : "");
    }
  }
  function fmtPoints(v) {
    return v === null || v === undefined ? "—" : num(v, 0, 2);
  }
  function fmtDate(iso) {
    if (!iso) return "—";
    const d = new Date(iso.length === 10 ? iso + "T00:00:00" : iso);
    if (Number.isNaN(d.getTime())) return iso;
    return new Intl.DateTimeFormat(locale(), iso.length === 10 ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" }).format(d);
  }
  function dv(v) {
    return v === null || v === undefined ? "" : String(v);
  }
  function periodId() {
    return state.quarter ? `${state.year}-${state.quarter}` : String(state.year);
  }
  function periodLabel(p) {
    const m = /^(\d{4})-Q([1-4])$/.exec(p);
    return m ? `${t("quarter", { n: m[2] })}/${m[1]}` : p;
  }
  function statusBadge(status, extraClass) {
    if (!status) return h("span", { class: "badge badge-none" }, "—");
    const icon = { met: "✓", on_track: "✓", complete: "✓", below_target: "!", at_risk: "!", partial: "◐", off_track: "✕" }[status] || "·";
    return h(
      "span",
      { class: `badge status-${status} ${extraClass || ""}`.trim(), "data-status": status },
      h("span", { "aria-hidden": "true", class: "badge-icon" }, icon),
      " ",
      t("status." + status)
    );
  }
  function deptName(code) {
    const d = meta.departments.get(code);
    return d ? nm(d) : code;
  }
  function unitName(code) {
    const u = meta.byCode.get(code);
    return u ? u.name : code;
  }
  function fwInfo(code) {
    return meta.frameworks.find((f) => f.code === code) || { code, name: code, name_en: "", years: [] };
  }

  class HttpError extends Error {
    constructor(status, url) {
      super(`HTTP ${status} for ${url}`);
      this.status = status;
    }
  }
  async function getJson(path, query) {
    const qs = query ? "?" + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== "")) : "";
    const url = path + qs;
    const r = await window.fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!r.ok) throw new HttpError(r.status, url);
    return r.json();
  }

  /** Replace a container's content, keeping keyboard focus on the same logical control and open disclosures open. */
  function replaceContent(container, ...nodes) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.getAttribute("data-focus-key") : null;
    const open = [...container.querySelectorAll("details[open] > summary[data-focus-key]")].map((el) => el.getAttribute("data-focus-key"));
    container.replaceChildren(...nodes.flat());
    for (const k of open) {
      const summary = container.querySelector(`summary[data-focus-key="${CSS.escape(k)}"]`);
      if (summary) summary.parentElement.open = true;
    }
    if (key) {
      const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
      if (again) again.focus();
    }
  }

  // ------------------------------------------------------------------ metadata (org units, frameworks)
  async function loadMeta() {
    const [org, rules, catalog] = await Promise.all([
      getJson("/v1/org-units"),
      getJson("/v1/rules"),
      getJson("/v1/catalog").catch(() => null),
    ]);
    applyOrgUnits(org);
    // every department by name, those that own a system or only receive alerts too
    for (const d of (catalog && catalog.departments) || []) meta.departments.set(d.code, { code: d.code, name: d.name, name_en: d.name_en });
    meta.rulesVersion = rules.version;
    meta.frameworks = rules.frameworks.map((f) => ({ code: f.code, name: f.name, name_en: f.name_en, years: f.years || [] }));
  }
  function applyOrgUnits(org) {
    meta.orgUnits = org.units;
    meta.byCode = new Map(org.units.map((u) => [u.code, u]));
    meta.children = new Map();
    for (const u of org.units) {
      if (u.parent === null) continue;
      if (!meta.children.has(u.parent)) meta.children.set(u.parent, []);
      meta.children.get(u.parent).push(u);
    }
    meta.root = org.units.find((u) => u.parent === null) || org.units[0];
  }
  function currentYear() {
    return meta.today ? Number(meta.today.slice(0, 4)) : new Date().getFullYear();
  }
  function currentQuarter() {
    const month = meta.today ? Number(meta.today.slice(5, 7)) : new Date().getMonth() + 1;
    return Math.floor((month - 1) / 3) + 1;
  }

  /** The units compared in the table: the children of the unit shown, or its siblings for a leaf. */
  function comparedUnits() {
    const unit = meta.byCode.get(state.unit);
    if (!unit) return { level: null, units: [] };
    let list = meta.children.get(unit.code) || [];
    if (!list.length && unit.parent) list = meta.children.get(unit.parent) || [];
    return { level: list.length ? list[0].level : null, units: list };
  }

  // ------------------------------------------------------------------ controls
  const $ = (id) => document.getElementById(id);

  function fillControls() {
    const cy = currentYear();
    const starts = meta.frameworks.map((f) => f.years[0]).filter((y) => typeof y === "number");
    const first = Math.min(starts.length ? Math.min(...starts) : cy, cy, state.year || cy);
    const last = Math.max(cy, state.year || cy);
    const yearSel = $("year");
    yearSel.replaceChildren();
    for (let y = last; y >= first; y--) yearSel.appendChild(h("option", { value: y }, String(y)));
    yearSel.value = String(state.year);

    const qSel = $("quarter");
    qSel.replaceChildren(h("option", { value: "" }, t("wholeYear")));
    for (let q = 1; q <= 4; q++) {
      const future = state.year === cy && q > currentQuarter();
      qSel.appendChild(h("option", { value: "Q" + q, disabled: future }, t("quarter", { n: q })));
    }
    qSel.value = state.quarter;

    for (const [id, value] of [
      ["framework", state.fw],
      ["framework2", state.fw2],
    ]) {
      const sel = $(id);
      sel.replaceChildren(...meta.frameworks.map((f) => h("option", { value: f.code }, `${nm(f)} (${f.code})`)));
      sel.value = value || "";
    }
    const cmp = $("compare");
    cmp.checked = state.compare;
    cmp.disabled = meta.frameworks.length < 2;
    cmp.title = cmp.disabled ? t("onlyOneFramework") : "";
    $("framework2-field").hidden = !state.compare;
  }

  function onControlsChange() {
    state.year = Number($("year").value);
    state.quarter = $("quarter").value;
    if (state.year === currentYear() && state.quarter && Number(state.quarter.slice(1)) > currentQuarter()) state.quarter = "";
    state.fw = $("framework").value;
    state.compare = $("compare").checked && meta.frameworks.length > 1;
    if (state.compare) {
      // the second framework must be another one: the one chosen, else the first other
      const chosen = $("framework2").value || state.fw2;
      const ok = chosen && chosen !== state.fw && meta.frameworks.some((f) => f.code === chosen);
      state.fw2 = ok ? chosen : (meta.frameworks.find((f) => f.code !== state.fw) || {}).code || null;
    }
    fillControls();
    writeUrl();
    refresh(true);
  }

  function selectUnit(code, focusMain) {
    if (!meta.byCode.has(code)) return;
    state.unit = code;
    writeUrl();
    refresh(true).then(() => {
      if (focusMain) {
        // keyboard and screen-reader users land on the new scores; the breadcrumb stays in sight below the
        // sticky controls
        const heading = document.querySelector("#panels h2");
        if (heading) heading.focus({ preventScroll: true });
        const crumb = $("breadcrumb");
        const controls = $("controls");
        const sticky = window.getComputedStyle(controls).position === "sticky" ? controls.offsetHeight : 0;
        const top = crumb.getBoundingClientRect().top + window.scrollY - sticky - 8;
        if (top < window.scrollY) {
          const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
          window.scrollTo({ top: Math.max(0, top), behavior: calm ? "auto" : "smooth" });
        }
      }
    });
  }

  function setLang(lang) {
    if (!TEXT[lang] || lang === state.lang) return;
    state.lang = lang;
    safeStorage("dti.lang", lang);
    writeUrl();
    applyStaticTexts();
    fillControls();
    for (const k of Object.keys(lastJson)) delete lastJson[k];
    if (lastData) render(lastData);
  }

  function applyStaticTexts() {
    document.documentElement.lang = state.lang;
    document.title = t("docTitle");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.getAttribute("data-i18n"));
    for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria")));
    $("lang-vi").setAttribute("aria-pressed", String(state.lang === "vi"));
    $("lang-en").setAttribute("aria-pressed", String(state.lang === "en"));
    $("poll-note").textContent = t("pollNote", { n: num(POLL_MS / 1000, 0, 1) });
  }

  function writeUrl() {
    const p = new URLSearchParams();
    if (state.unit && meta.root && state.unit !== meta.root.code) p.set("unit", state.unit);
    if (state.year) p.set("period", periodId());
    if (state.fw) p.set("framework", state.fw);
    if (state.compare && state.fw2) p.set("compare", state.fw2);
    if (state.lang !== "vi") p.set("lang", state.lang);
    if (params.has("poll")) p.set("poll", params.get("poll"));
    const qs = p.toString();
    window.history.replaceState(null, "", qs ? "?" + qs : window.location.pathname);
  }

  // ------------------------------------------------------------------ fetching
  function trendPeriods(fwCode) {
    const info = fwInfo(fwCode);
    const cy = currentYear();
    const start = Math.max(typeof info.years[0] === "number" ? info.years[0] : state.year - 4, state.year - 5);
    const out = [];
    for (let y = start; y < state.year; y++) out.push(String(y));
    const lastQ = state.year === cy ? currentQuarter() : state.year > cy ? 0 : 4;
    for (let q = 1; q <= lastQ; q++) out.push(`${state.year}-Q${q}`);
    return out;
  }

  async function fetchFramework(fwCode, period) {
    const tree = await getJson("/v1/scores", { org_unit: state.unit, period, framework: fwCode });
    const periods = trendPeriods(fwCode);
    const trend = await Promise.all(
      periods.map((p) =>
        p === period
          ? Promise.resolve({ period: p, value: tree.index.value })
          : getJson("/v1/scores", { org_unit: state.unit, period: p, framework: fwCode }).then(
              (r) => ({ period: p, value: r.index.value }),
              () => ({ period: p, value: null })
            )
      )
    );
    return { tree, trend };
  }

  const ALERTS_SHOWN = 20; // the most important firing alerts; counts cover them all

  async function fetchAlerts() {
    // filtered and paged on the server (most important first), gzip on the wire; the server's ETag lets the
    // browser revalidate a poll that brings nothing new (304, no body)
    try {
      const url = `/v1/alerts?status=firing&limit=${ALERTS_SHOWN}`;
      const r = await window.fetch(url, { headers: { Accept: "application/json" }, cache: "no-cache" });
      if (!r.ok) throw new HttpError(r.status, url);
      const body = await r.json();
      const list = Array.isArray(body) ? body : body.alerts || [];
      return { state: "ok", alerts: list, total: body.total ?? list.length, counts: body.counts || {} };
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return { state: "none", alerts: [], total: 0, counts: {} };
      return { state: "error", alerts: [], total: 0, counts: {} };
    }
  }

  async function refresh(force) {
    const gen = ++generation;
    if (timer) window.clearTimeout(timer);
    const period = periodId();
    const fws = state.compare && state.fw2 ? [state.fw, state.fw2] : [state.fw];
    const compared = comparedUnits();
    try {
      const rules = await getJson("/v1/rules");
      if (rules.version !== meta.rulesVersion) {
        // a rules reload may change frameworks, org units or names: take them again
        await loadMeta();
        if (!meta.frameworks.some((f) => f.code === state.fw)) state.fw = meta.frameworks[0].code;
        if (!meta.byCode.has(state.unit)) state.unit = meta.root.code;
        fillControls();
      }
      const [panels, units, gaps, alerts] = await Promise.all([
        Promise.all(fws.map((f) => fetchFramework(f, period))),
        compared.level
          ? getJson("/v1/scores/units", { period, framework: state.fw, level: compared.level })
          : Promise.resolve(null),
        getJson("/v1/gaps", { org_unit: state.unit, period, framework: state.fw }),
        fetchAlerts(),
      ]);
      if (gen !== generation) return;
      for (const d of gaps.departments) meta.departments.set(d.code, { code: d.code, name: d.name, name_en: d.name_en });
      // every owner of the trees shown, by name (departments with nothing to gain are not in the gaps)
      for (const p of panels)
        for (const m of p.tree.main_indicators)
          for (const x of [m, ...m.indicators])
            if (x.owner && x.owner_name) meta.departments.set(x.owner, { code: x.owner, name: x.owner_name, name_en: x.owner_name_en || "" });
      meta.today = panels[0].tree.as_of;
      lastData = { key: `${state.unit}|${period}|${fws.join(",")}`, panels, units, compared, gaps, alerts };
      if (force) for (const k of Object.keys(lastJson)) delete lastJson[k];
      render(lastData);
      $("connection").hidden = true;
      refreshCount += 1;
      document.body.dataset.refreshes = String(refreshCount);
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof HttpError && e.status === 422) {
        // a stale link (unknown unit, framework or period): fall back to the defaults
        state.unit = meta.root ? meta.root.code : null;
        state.fw = meta.frameworks.length ? meta.frameworks[0].code : null;
        state.compare = false;
        state.year = currentYear();
        state.quarter = "";
        fillControls();
        writeUrl();
      } else {
        const banner = $("connection");
        banner.textContent = t("offline");
        banner.hidden = false;
      }
    } finally {
      if (gen === generation) timer = window.setTimeout(() => refresh(false), POLL_MS);
    }
  }

  // ------------------------------------------------------------------ rendering
  function changed(section, value) {
    const json = JSON.stringify(value);
    if (lastJson[section] === json) return false;
    lastJson[section] = json;
    return true;
  }

  function render(data) {
    const first = data.panels[0].tree;
    $("org-name").textContent = "— " + first.org_unit.name;
    $("rules-version").textContent = first.rules_version;
    $("as-of").textContent = first.data_through ? fmtDate(first.data_through) : "—"; // the data's date, not the server's
    const now = new Date();
    const upd = $("updated-at");
    upd.dateTime = now.toISOString();
    upd.textContent = new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(now);

    if (changed("breadcrumb", [state.unit, state.lang])) renderBreadcrumb();
    if (changed("panels", [data.panels, state.compare])) renderPanels(data.panels);
    const fwLabel = t("byFramework", { name: nm(first.framework) });
    for (const id of ["units-fw", "gaps-fw"]) $(id).textContent = fwLabel;
    if (changed("units", [data.units, data.compared.units.map((u) => u.code), state.unit])) renderUnits(data);
    if (changed("alerts", data.alerts)) renderAlerts(data.alerts);
    if (changed("gaps", data.gaps)) renderGaps(data.gaps);

    const panels = $("panels");
    panels.setAttribute("aria-busy", "false");
    document.body.dataset.ready = "1";
    document.body.dataset.loaded = data.key;

    // tell screen-reader users when the index changes while they look at the same unit and period
    const v = first.index.value;
    if (lastAnnounced && lastAnnounced.key === data.key && lastAnnounced.value !== v) {
      $("announce").textContent = t("announce", { unit: first.org_unit.name, v: fmtIndex(v) });
    }
    lastAnnounced = { key: data.key, value: v };
  }

  function renderBreadcrumb() {
    const trail = [];
    let u = meta.byCode.get(state.unit);
    while (u) {
      trail.unshift(u);
      u = u.parent ? meta.byCode.get(u.parent) : null;
    }
    const items = trail.map((unit, i) => {
      const last = i === trail.length - 1;
      return h(
        "li",
        null,
        last
          ? h("span", { "aria-current": "page", class: "crumb-current" }, unit.name)
          : h("button", { type: "button", class: "linklike", "data-focus-key": "crumb-" + unit.code, onclick: () => selectUnit(unit.code, true) }, unit.name)
      );
    });
    replaceContent($("breadcrumb"), h("ol", null, items));
  }

  /** One panel per framework; when two are compared, their summaries sit side by side and their
   * indicator tables follow at full width, one under the other, so every column stays readable. */
  function renderPanels(panels) {
    const box = $("panels");
    const compare = panels.length > 1;
    box.classList.toggle("compare", compare);
    if (!compare) {
      replaceContent(box, scorePanel(panels[0].tree, panels[0].trend, 0, true));
      return;
    }
    replaceContent(
      box,
      h("div", { class: "compare-grid" }, panels.map((p, i) => scorePanel(p.tree, p.trend, i, false))),
      panels.map((p, i) => tablePanel(p.tree, i))
    );
  }

  function tablePanel(tree, idx) {
    return h(
      "section",
      { class: "panel panel-table", "aria-labelledby": `ind-title-${idx}`, "data-framework": tree.framework.code, "data-org-unit": tree.org_unit.code, "data-period": tree.period },
      h("h2", { id: `ind-title-${idx}`, class: "panel-title" }, `${t("indicators")} — ${nm(tree.framework)}`),
      indicatorTable(tree, idx)
    );
  }

  function scorePanel(tree, trend, idx, withTable) {
    const fw = tree.framework;
    const index = tree.index;
    const headingId = `panel-title-${idx}`;
    const goal = index.goal;
    return h(
      "section",
      {
        class: "panel",
        "aria-labelledby": headingId,
        "data-framework": fw.code,
        "data-org-unit": tree.org_unit.code,
        "data-period": tree.period,
        "data-rules-version": tree.rules_version,
      },
      h(
        "h2",
        { id: headingId, tabindex: "-1", class: "panel-title" },
        h("span", null, nm(fw)),
        " ",
        h("span", { class: "muted small" }, `${tree.org_unit.name} · ${periodLabel(tree.period)}`)
      ),
      h(
        "div",
        { class: "overview" },
        h(
          "div",
          { class: "card dti-card" },
          h("h3", null, t("dti")),
          h("p", { class: "dti-value", "data-field": "dti", "data-value": dv(index.value) }, fmtIndex(index.value)),
          h(
            "p",
            { class: "dti-points", "data-field": "dti-points", "data-value": dv(index.points) },
            t("ofPoints", { a: fmtPoints(index.points), b: fmtPoints(fw.scale) })
          ),
          h("div", { class: "meter big", "aria-hidden": "true" }, meterFill(index.value, goal ? goal.value : null)),
          h("p", null, statusBadge(index.status)),
          goal
            ? h(
                "p",
                { class: "goal", "data-field": "goal", "data-value": dv(goal.value), "data-rank": goal.rank ?? "", "data-of": goal.of ?? "" },
                h("span", { class: "goal-swatch", "aria-hidden": "true" }),
                `${t("goal", { year: goal.year })}: `,
                goal.rank ? h("strong", null, t("goalRank", { rank: goal.rank, of: goal.of })) : null,
                goal.rank && goal.value !== null ? " · " : null,
                goal.value !== null ? h("strong", null, fmtIndex(goal.value)) : null,
                goal.note ? h("span", { class: "muted" }, ` (${goal.note})`) : null
              )
            : null,
          index.estimated_rank
            ? h(
                "p",
                { class: "muted small", "data-field": "estimated-rank", "data-rank": index.estimated_rank.rank, "data-of": index.estimated_rank.of },
                t("estimatedRank", { rank: index.estimated_rank.rank, of: index.estimated_rank.of, year: index.estimated_rank.table_year })
              )
            : null,
          index.covers
            ? h(
                "p",
                { class: "muted small", "data-field": "covers", "data-value": index.covers.join(",") },
                t("covers", { n: index.covers.length, all: tree.main_indicators.length, list: missingNames(tree, index.covers) })
              )
            : null,
          tree.open_years && tree.open_years.length > 1
            ? h("p", { class: "muted small", "data-field": "open-years" }, t("openYears", { list: tree.open_years.join(", ") }))
            : null,
          index.missing && index.missing.length ? h("p", { class: "muted small" }, t("missing", { list: missingNames(tree, index.missing) })) : null
        ),
        h(
          "div",
          { class: "card trend-card" },
          h("h3", null, t("trend")),
          trendChart(trend, goal && goal.value !== null ? goal : null, tree, idx),
          publishedList(index.history)
        )
      ),
      h(
        "div",
        { class: "block" },
        h("h3", null, t("pillars")),
        h("ul", { class: "pillars" }, tree.pillars.map((p) => pillarCard(p, tree)))
      ),
      withTable ? h("div", { class: "block" }, h("h3", { id: `ind-title-${idx}` }, t("indicators")), indicatorTable(tree, idx)) : null
    );
  }

  function missingNames(tree, codes) {
    const names = new Map();
    for (const m of tree.main_indicators) {
      names.set(m.code, nm(m));
      for (const i of m.indicators) names.set(i.code, nm(i));
    }
    return codes.map((c) => names.get(c) || c).join(", ");
  }

  /** The province's published record (rules: history.yaml), beside the trend: values nobody published say so. */
  function publishedList(history) {
    if (!history || !history.length) return null;
    const items = history.map((p) => {
      const parts = [t("publishedDti", { year: p.year, value: p.value === null ? t("unknown") : fmtIndex(p.value) })];
      if (p.rank) parts.push(t("publishedRank", { rank: p.rank, of: p.of }));
      if (p.average !== null) parts.push(t("publishedAverage", { value: fmtIndex(p.average) }));
      return h("li", { "data-year": p.year, "data-value": dv(p.value), title: p.source }, parts.join(" · "));
    });
    return h("div", { class: "published", "data-field": "published" }, h("h4", { class: "small" }, t("published")), h("ul", { class: "muted small" }, items));
  }

  function meterFill(value, goal) {
    const pct = value === null || value === undefined ? 0 : Math.max(0, Math.min(1, value)) * 100;
    const parts = [h("span", { class: "meter-fill", style: `width:${pct.toFixed(2)}%` })];
    if (goal !== null && goal !== undefined) parts.push(h("span", { class: "meter-goal", style: `left:${(Math.max(0, Math.min(1, goal)) * 100).toFixed(2)}%` }));
    return parts;
  }

  function pillarCard(p, tree) {
    return h(
      "li",
      { class: "card pillar", "data-pillar": p.code, "data-value": dv(p.value) },
      h("h4", null, nm(p)),
      h("p", { class: "pillar-value" }, fmtIndex(p.value)),
      h("div", { class: "meter", "aria-hidden": "true" }, meterFill(p.value, null)),
      h("p", null, statusBadge(p.status)),
      p.missing && p.missing.length && p.status !== "no_data" ? h("p", { class: "muted small" }, t("missing", { list: missingNames(tree, p.missing) })) : null
    );
  }

  function valueCell(ind) {
    const children = [h("span", { class: "val" }, fmtValue(ind.value, ind.unit))];
    if (ind.unit === "percent" && ind.value !== null) {
      children.push(
        h(
          "div",
          { class: "meter small", "aria-hidden": "true" },
          meterFill(ind.value, ind.target),
        )
      );
    }
    return children;
  }

  function indicatorTable(tree, idx) {
    const head = h(
      "thead",
      null,
      h(
        "tr",
        null,
        [t("colIndicator"), t("colValue"), t("colTarget"), t("colStatus"), t("colTrajectory"), t("colPoints"), t("colOwner")].map((c) =>
          h("th", { scope: "col" }, c)
        )
      )
    );
    const labels = {
      value: t("colValue"),
      target: t("colTarget"),
      status: t("colStatus"),
      trajectory: t("colTrajectory"),
      points: t("colPoints"),
      owner: t("colOwner"),
    };
    const bodies = tree.main_indicators.map((m) =>
      h(
        "tbody",
        { "data-main-group": m.code },
        h(
          "tr",
          { class: "main-row", "data-main": m.code, "data-value": dv(m.value), "data-earned": dv(m.earned) },
          h("th", { scope: "rowgroup", class: "name-cell" }, nm(m), " ", h("span", { class: "code" }, m.code)),
          h("td", { "data-label": labels.value }, fmtIndex(m.value)),
          h("td", { "data-label": labels.target, class: "muted void" }, "—"),
          h("td", { "data-label": labels.status }, statusBadge(m.status)),
          h("td", { "data-label": labels.trajectory, class: "muted void" }, ""),
          h("td", { "data-label": labels.points }, `${fmtPoints(m.earned)} / ${fmtPoints(m.points)}`),
          h("td", { "data-label": labels.owner }, deptName(m.owner))
        ),
        m.indicators.map((i) =>
          h(
            "tr",
            {
              class: `ind-row row-${i.status}`,
              "data-indicator": i.code,
              "data-value": dv(i.value),
              "data-target": dv(i.target),
              "data-status": i.status,
              "data-trajectory": i.trajectory && i.trajectory.status ? i.trajectory.status : "",
              "data-unit": i.unit,
            },
            h(
              "th",
              { scope: "row", class: "name-cell" },
              nm(i),
              " ",
              h("span", { class: "code" }, i.code),
              i.status === "no_data" && i.reason ? h("span", { class: "reason" }, reasonText(i)) : null
            ),
            h("td", { "data-label": labels.value, class: "value-cell" }, valueCell(i)),
            h("td", { "data-label": labels.target }, fmtValue(i.target, i.unit)),
            h("td", { "data-label": labels.status }, statusBadge(i.status)),
            h(
              "td",
              { "data-label": labels.trajectory },
              i.trajectory
                ? h(
                    "span",
                    { class: "traj" },
                    i.trajectory.status ? statusBadge(i.trajectory.status) : null,
                    h("span", { class: "muted small" }, t("expected", { v: fmtValue(i.trajectory.expected, i.unit) }))
                  )
                : h("span", { class: "muted" }, "—")
            ),
            h("td", { "data-label": labels.points }, `${fmtPoints(i.earned)} / ${fmtPoints(i.points)}`),
            h("td", { "data-label": labels.owner }, deptName(i.owner))
          )
        )
      )
    );
    return h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "data-table indicators responsive", "aria-labelledby": `ind-title-${idx}` }, head, bodies)
    );
  }

  /** The API gives a reason's halves apart (reason_vi, reason_en): show the one of the page's language. */
  function reasonText(i) {
    return (state.lang === "en" ? i.reason_en : i.reason_vi) || i.reason;
  }

  function chartWidth() {
    const w = window.innerWidth;
    if (w < 600) return 380;
    if (state.compare && w >= 1100) return 460;
    return 600;
  }

  function trendChart(trend, goal, tree, idx) {
    const pts = trend.map((p) => ({ ...p, label: periodLabel(p.period) }));
    if (!pts.length || pts.every((p) => p.value === null)) {
      return h("p", { class: "muted trend-empty" }, t("trendEmpty"));
    }
    // a narrower drawing on small screens and in compare mode keeps the labels legible once scaled
    const W = chartWidth();
    const H = W < 500 ? 220 : 230;
    const m = W < 500 ? { l: 50, r: 36, t: 22, b: 44 } : { l: 46, r: 34, t: 18, b: 40 };
    const values = pts.map((p) => p.value).filter((v) => v !== null);
    if (goal) values.push(goal.value);
    // a round top and four or five round steps: 0.05, 0.1, 0.2 or 0.25 apart
    const top = Math.min(1, Math.max(...values, 0.04) * 1.12);
    const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25].find((st) => top / st <= 5) || 0.25;
    const yMax = Math.min(1, Math.ceil(top / step - 1e-9) * step);
    const ticks = Math.round(yMax / step);
    const x = (i) => m.l + (pts.length === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (pts.length - 1));
    const y = (v) => m.t + (1 - v / yMax) * (H - m.t - m.b);
    const titleId = `trend-title-${idx}`;
    const descId = `trend-desc-${idx}`;
    const children = [
      h("title", { id: titleId }, `${t("trend")} — ${nm(tree.framework)} — ${tree.org_unit.name}`),
      h("desc", { id: descId }, t("trendDesc", { year: state.year })),
    ];
    for (let k = 0; k <= ticks; k++) {
      const v = (yMax * k) / ticks;
      children.push(h("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: "grid" }));
      children.push(h("text", { x: m.l - 8, y: y(v) + 4, class: "axis", "text-anchor": "end" }, num(v, 2, 2)));
    }
    const firstQuarter = pts.findIndex((p) => p.period.includes("-Q"));
    if (firstQuarter > 0) {
      const sx = (x(firstQuarter - 1) + x(firstQuarter)) / 2;
      children.push(h("line", { x1: sx, x2: sx, y1: m.t, y2: H - m.b, class: "sep" }));
    }
    pts.forEach((p, i) => {
      const label = W < 500 ? p.label.replace(/^[^\d]*(\d)\/\d{2}(\d{2})$/, "Q$1/$2") : p.label;
      children.push(h("text", { x: x(i), y: H - m.b + (W < 500 ? 22 : 18), class: "axis", "text-anchor": "middle" }, label));
    });
    if (goal) {
      children.push(h("line", { x1: m.l, x2: W - m.r, y1: y(goal.value), y2: y(goal.value), class: "goal-line" }));
      children.push(
        h("text", { x: W - m.r, y: y(goal.value) - 6, class: "goal-text", "text-anchor": "end" }, `${t("goal", { year: goal.year })}: ${fmtIndex(goal.value)}`)
      );
    }
    // the line, broken where a period has no data
    let d = "";
    let pen = false;
    pts.forEach((p, i) => {
      if (p.value === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)} `;
      pen = true;
    });
    children.push(h("path", { d: d.trim(), class: "trend-line" }));
    pts.forEach((p, i) => {
      if (p.value === null) return;
      const current = p.period === tree.period;
      children.push(
        h(
          "circle",
          {
            cx: x(i),
            cy: y(p.value),
            r: current ? 6 : 4.5,
            class: current ? "trend-dot current" : "trend-dot",
            "data-period": p.period,
            "data-value": dv(p.value),
          },
          h("title", null, `${p.label}: ${fmtIndex(p.value)}`)
        )
      );
    });
    const svg = h("svg", { viewBox: `0 0 ${W} ${H}`, class: W < 500 ? "trend narrow" : "trend", role: "img", "aria-labelledby": `${titleId} ${descId}`, preserveAspectRatio: "xMidYMid meet" }, children);
    const table = h(
      "table",
      { class: "sr-only" },
      h("caption", null, t("trendTable")),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, t("period")), h("th", { scope: "col" }, t("dti")))),
      h(
        "tbody",
        null,
        pts.map((p) => h("tr", null, h("th", { scope: "row" }, p.label), h("td", null, fmtIndex(p.value))))
      )
    );
    return [svg, table];
  }

  function renderUnits(data) {
    const box = $("units");
    const tree = data.panels[0].tree;
    if (!data.units || !data.compared.units.length) {
      replaceContent(box, h("p", { class: "muted" }, t("unitsNone")));
      return;
    }
    const wanted = new Set(data.compared.units.map((u) => u.code));
    const rows = data.units.units.filter((r) => wanted.has(r.code));
    rows.sort((a, b) => (b.index ?? -1) - (a.index ?? -1) || a.code.localeCompare(b.code));
    const pillarCols = tree.pillars.map((p) => ({ code: p.code, name: nm(p) }));
    const mainCols = tree.main_indicators.map((mi) => ({ code: mi.code, name: nm(mi) }));
    let rank = 0;
    let prev = null;
    const body = rows.map((r, i) => {
      if (r.index !== prev) rank = i + 1;
      prev = r.index;
      const current = r.code === state.unit;
      return h(
        "tr",
        { "data-unit": r.code, "data-value": dv(r.index), class: current ? "is-current" : null, "aria-current": current ? "true" : null },
        h("td", { "data-label": t("colRank"), class: "num", "data-rank": r.rank ?? "", "data-of": r.of ?? "" }, r.rank ? `${r.rank}/${r.of}` : r.index === null ? "—" : String(rank)),
        h(
          "th",
          { scope: "row", class: "name-cell" },
          h(
            "button",
            {
              type: "button",
              class: "unit-link",
              "data-focus-key": "unit-" + r.code,
              "data-unit-link": r.code,
              onclick: () => selectUnit(r.code, true),
            },
            r.name
          ),
          current ? h("span", { class: "muted small" }, ` (${t("viewing")})`) : null
        ),
        h("td", { "data-label": t("dti"), class: "num strong", "data-field": "index", "data-value": dv(r.index) }, fmtIndex(r.index)),
        pillarCols.map((c) =>
          h("td", { "data-label": c.name, class: "num", "data-pillar": c.code, "data-value": dv(r.pillars[c.code]) }, fmtIndex(r.pillars[c.code]))
        ),
        mainCols.map((c) =>
          h("td", { "data-label": c.name, class: "num", "data-main": c.code, "data-value": dv(r.main_indicators[c.code]) }, fmtIndex(r.main_indicators[c.code]))
        )
      );
    });
    const head = h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { scope: "col", class: "num" }, t("colRank")),
        h("th", { scope: "col" }, t("colUnit")),
        h("th", { scope: "col", class: "num" }, t("dti")),
        pillarCols.map((c) => h("th", { scope: "col", class: "num" }, c.name)),
        mainCols.map((c) => h("th", { scope: "col", class: "num", title: c.name }, c.name))
      )
    );
    replaceContent(
      box,
      h(
        "table",
        { class: "data-table units", "aria-labelledby": "units-title", "data-level": data.units.level, "data-period": data.units.period },
        head,
        h("tbody", null, body)
      )
    );
  }

  const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

  function alertCounts(counts) {
    const sev = Object.entries(counts.by_severity || {}).sort((a, b) => (SEVERITY_ORDER[a[0]] ?? 9) - (SEVERITY_ORDER[b[0]] ?? 9));
    const dep = Object.entries(counts.by_department || {}).sort((a, b) => b[1] - a[1]);
    return h(
      "div",
      { class: "alert-counts" },
      h("p", { class: "small" }, `${t("alertsBySeverity")}: `, sev.map(([k, n], i) => h("span", { class: `badge sev-badge sev-${k}`, "data-severity": k }, `${t("severity." + k)} ${n}`, i < sev.length - 1 ? " " : ""))),
      h("p", { class: "small muted" }, `${t("alertsByDept")}: `, dep.map(([k, n]) => `${deptName(k)} ${n}`).join(" · "))
    );
  }

  function renderAlerts(result) {
    const box = $("alerts");
    const total = result.total ?? result.alerts.length;
    box.dataset.state = result.state === "ok" ? (result.alerts.length ? "list" : "none") : result.state;
    box.dataset.count = String(total);
    if (result.state === "error") {
      replaceContent(box, h("p", { class: "muted" }, t("alertsError")));
      return;
    }
    if (!result.alerts.length) {
      replaceContent(
        box,
        h("div", { class: "empty" }, h("span", { class: "empty-icon", "aria-hidden": "true" }, "✓"), h("p", null, h("strong", null, t("noAlerts"))), h("p", { class: "muted small" }, t("noAlertsHint")))
      );
      return;
    }
    // the server sends the most important first (severity, notified before inhibited, most units)
    const alerts = result.alerts.slice(0, ALERTS_SHOWN);
    const en = state.lang === "en";
    const parts = [
      alertCounts(result.counts || {}),
      h(
        "ul",
        { class: "alerts" },
        alerts.map((a) => {
          const labels = a.labels || {};
          const ann = a.annotations || {};
          const sev = a.severity || labels.severity || "info";
          const summary = (en ? ann.summary_en : ann.summary_vi) || ann.summary || ""; // both halves for an alert raised before they were apart
          const members = a.members || [];
          const facts = [];
          if (members.length || a.members_total) facts.push(h("span", { class: "fact" }, t("alertUnits", { n: ann.units || a.members_total })));
          else if (labels.org_unit && labels.org_unit !== "*") facts.push(h("span", { class: "fact" }, `${t("labels.org_unit")}: `, h("strong", null, unitName(labels.org_unit))));
          if (labels.department && labels.department.indexOf(",") < 0 && labels.department !== "*") facts.push(h("span", { class: "fact" }, `${t("labels.department")}: `, h("strong", null, deptName(labels.department))));
          if (labels.period) facts.push(h("span", { class: "fact" }, `${t("labels.period")}: `, h("strong", null, labels.period)));
          const fws = ann.frameworks || labels.framework;
          if (fws) {
            // framework names, not codes
            const names = fws.split(/,\s*/).filter(Boolean).map((c) => { const f = fwInfo(c); return (en && f.name_en) || f.name; });
            facts.push(h("span", { class: "fact" }, `${t("alertFrameworks")}: `, h("strong", null, names.join(" · "))));
          }
          const startedAt = a.starts_at || a.startsAt;
          if (startedAt) facts.push(h("span", { class: "fact muted" }, t("since", { t: fmtDate(startedAt) })));
          const link = ann.link && !/\/v1\//.test(ann.link) ? ann.link : null;
          return h(
            "li",
            { class: `alert sev-${sev}`, "data-severity": sev, "data-org-unit": labels.org_unit || "", "data-indicator": labels.indicator || "", "data-fingerprint": a.fingerprint || "" },
            h("span", { class: `badge sev-badge sev-${sev}` }, t("severity." + sev)),
            h("p", { class: "alert-summary" }, link ? h("a", { href: link }, summary) : summary),
            members.length ? h("ul", { class: "alert-members small" }, [...new Map(members.map((m) => [`${m.org_unit}|${m.vi}`, m])).values()].slice(0, 3).map((m) => h("li", null, en ? m.en || m.vi : m.vi))) : null,
            a.inhibited_by && a.inhibited_by.length ? h("p", { class: "small muted" }, t("alertInhibited")) : null,
            h("p", { class: "alert-facts" }, facts)
          );
        })
      ),
    ];
    if (total > alerts.length) parts.push(h("p", { class: "muted small" }, t("alertsMore", { n: total - alerts.length })));
    replaceContent(box, ...parts);
  }

  const GAPS_SHOWN = 5; // per department; the rest behind a disclosure

  function gapItem(i) {
    return h(
      "li",
      { "data-indicator": i.code, "data-gain": dv(i.gain_points) },
      h("span", { class: "gap-name" }, nm(i), " ", h("span", { class: "code" }, i.code)),
      h("span", { class: "gap-vals muted" }, `${fmtValue(i.value, i.unit)} → ${fmtValue(i.target, i.unit)}`),
      h("span", { class: "gap-gain" }, t("gainPoints", { v: num(i.gain_points, 1, 2) }))
    );
  }

  function renderGaps(gaps) {
    const box = $("gaps");
    if (!gaps.departments.length) {
      replaceContent(box, h("div", { class: "empty" }, h("span", { class: "empty-icon", "aria-hidden": "true" }, "✓"), h("p", null, t("noGaps"))));
      return;
    }
    const max = Math.max(...gaps.departments.map((d) => d.gain_points), 1e-9);
    replaceContent(
      box,
      h(
        "ol",
        { class: "gaps" },
        gaps.departments.map((d) =>
          h(
            "li",
            { class: "gap-dept", "data-department": d.code, "data-gain": dv(d.gain_points) },
            h(
              "div",
              { class: "gap-head" },
              h("h3", null, nm(d)),
              h("span", { class: "gain" }, t("gainPoints", { v: num(d.gain_points, 1, 2) }))
            ),
            h("div", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width:${((d.gain_points / max) * 100).toFixed(1)}%` })),
            h("ul", { class: "gap-list" }, d.indicators.slice(0, GAPS_SHOWN).map(gapItem)),
            d.indicators.length > GAPS_SHOWN
              ? h(
                  "details",
                  { class: "gap-more" },
                  h("summary", { "data-focus-key": "gap-more-" + d.code }, t("moreIndicators", { n: d.indicators.length - GAPS_SHOWN })),
                  h("ul", { class: "gap-list" }, d.indicators.slice(GAPS_SHOWN).map(gapItem))
                )
              : null
          )
        )
      )
    );
  }

  // ------------------------------------------------------------------ start
  async function start() {
    applyStaticTexts();
    $("controls").addEventListener("submit", (e) => e.preventDefault());
    $("lang-vi").addEventListener("click", () => setLang("vi"));
    $("lang-en").addEventListener("click", () => setLang("en"));
    for (const id of ["year", "quarter", "framework", "framework2", "compare"]) $(id).addEventListener("change", onControlsChange);
    let lastWidth = chartWidth();
    window.addEventListener("resize", () => {
      if (chartWidth() === lastWidth || !lastData) return;
      lastWidth = chartWidth();
      delete lastJson.panels;
      render(lastData);
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) refresh(false);
    });
    for (;;) {
      try {
        await loadMeta();
        const first = await getJson("/v1/scores", { framework: meta.frameworks.some((f) => f.code === state.fw) ? state.fw : null });
        meta.today = first.as_of;
        // without a period the API answers the year being assessed (the oldest open year: last year until
        // it closes on 31 March) under the framework in force for it: the page starts there
        meta.defaultYear = Number(String(first.period).slice(0, 4));
        if (!state.fw) state.fw = first.framework.code;
        break;
      } catch (_e) {
        const banner = $("connection");
        banner.textContent = t("offline");
        banner.hidden = false;
        await new Promise((r) => window.setTimeout(r, POLL_MS));
      }
    }
    if (!state.unit || !meta.byCode.has(state.unit)) state.unit = meta.root.code;
    if (!meta.frameworks.some((f) => f.code === state.fw)) state.fw = meta.frameworks[0].code;
    if (state.fw2 && !meta.frameworks.some((f) => f.code === state.fw2 && f.code !== state.fw)) state.fw2 = null;
    if (state.compare && !state.fw2) state.fw2 = (meta.frameworks.find((f) => f.code !== state.fw) || {}).code || null;
    state.compare = state.compare && !!state.fw2;
    const m = /^(\d{4})(?:-(Q[1-4]))?$/.exec(initialPeriod || "");
    state.year = m ? Number(m[1]) : meta.defaultYear || currentYear();
    state.quarter = m && m[2] ? m[2] : "";
    fillControls();
    writeUrl();
    await refresh(true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
