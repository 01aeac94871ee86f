// The status page: reads /v1/status every 15 s, searches through /v1/search. No framework, no build step.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

const HEALTH = {ok: "正常", alarm: "告警", failing: "失败", paused: "已暂停", never_run: "未运行",
                running: "运行中", invalid: "配置错误"};

function badge(health) {
  return el("span", {class: "badge h-" + health, "data-health": health}, (HEALTH[health] || health) + " " + health);
}

function runsCell(runs) {
  const cell = el("td", {});
  for (const r of runs) {
    const text = `${r.status} ${r.fetched}/${r.new}/${r.closed}/${r.quarantined}`;
    const span = el("span", {class: "run run-" + r.status, title: `#${r.id} ${r.started_at} ${r.error || ""}`}, text);
    cell.append(span);
  }
  return cell;
}

function renderStatus(doc) {
  const c = doc.counts;
  document.getElementById("summary").textContent =
    `${doc.sources.length} 个数据源 · 在招岗位 ${c.open} · 去重后 ${c.clusters} · 隔离 ${c.quarantined} · ` +
    `待同步索引 ${c.outbox} · 更新于 ${doc.generated_at}`;
  const body = document.querySelector("#sources tbody");
  body.replaceChildren();
  for (const s of doc.sources) {
    const last = s.runs[0];
    const name = el("td", {}, el("strong", {}, s.id), el("br"), el("span", {class: "muted"}, s.name));
    const health = el("td", {}, badge(s.health));
    if (s.paused_until) health.append(el("div", {class: "muted"}, `暂停至 ${s.paused_until}`));
    body.append(el("tr", {"data-source": s.id}, name, health,
      el("td", {}, last ? last.started_at : "—"), el("td", {}, s.last_success_at || "—"),
      el("td", {}, s.failure_streak), el("td", {class: "quarantined"}, s.quarantined), runsCell(s.runs)));
  }
  const alarms = document.getElementById("alarms");
  alarms.replaceChildren();
  if (!doc.alarms.length) alarms.append(el("li", {class: "muted"}, "无"));
  for (const a of doc.alarms) {
    for (const text of a.alarms) alarms.append(el("li", {"data-source": a.source_id},
      `${a.source_id} · 运行 #${a.run_id} · ${a.started_at} · ${text}`));
  }
  const invalid = document.getElementById("invalid");
  invalid.replaceChildren(...doc.invalid_files.map(f => el("li", {class: "muted"}, `${f.file}: ${f.reason}`)));
  document.body.dataset.loaded = "true";
}

async function refresh() {
  try {
    const response = await fetch("/v1/status");
    renderStatus(await response.json());
  } catch (e) {
    document.getElementById("summary").textContent = "无法读取状态: " + e;
  }
}

function pay(s) {
  if (!s) return "";
  if (s.min == null && s.max == null) return s.negotiable ? "面议" : (s.text || "");
  const unit = {hour: "时", day: "天", week: "周", month: "月", year: "年", piece: "件", session: "课时"}[s.unit] || "";
  const span = s.max == null || s.max === s.min ? `${s.min ?? s.max}` : `${s.min ?? ""}-${s.max}`;
  return `${span}元/${unit}`;
}

async function search(event) {
  event.preventDefault();
  const q = document.getElementById("q").value.trim();
  const response = await fetch("/v1/search?" + new URLSearchParams({q, page_size: "10"}));
  const doc = await response.json();
  const list = document.getElementById("results");
  list.replaceChildren();
  document.getElementById("search-total").textContent = response.ok ? `共 ${doc.total} 个岗位` :
    `搜索失败: ${(doc.detail && doc.detail.message) || response.status}`;
  for (const item of doc.items || []) {
    const loc = item.location || {};
    const where = [loc.city, loc.county].filter(Boolean).join("");
    list.append(el("li", {"data-id": item.id}, el("strong", {}, item.title),
      el("span", {class: "pay"}, pay(item.salary)), el("span", {class: "where"}, where),
      el("span", {class: "muted"}, " · " + ((item.employer || {}).name || ""))));
  }
}

document.getElementById("search-form").addEventListener("submit", search);
refresh();
setInterval(refresh, 15000);
