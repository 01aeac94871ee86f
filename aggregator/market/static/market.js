// The report view: figures, a province map of demand per city with the 零工市场 on it, the 求人倍率 trend
// and wage boxes by occupation. Everything is drawn from /v1/stats/market and /v1/markets; no tiles, no CDN.
(function () {
  "use strict";
  // The wage boxes (p10 · p25 · p50 · p75 · p90, 元/天) of report wage rows that are not suppressed.
  function wageOption(shown) {
    return {
      animation: false, grid: { left: 10, right: 20, top: 10, bottom: 36, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { var w = shown[p.dataIndex];
        return w.name + " (" + w.postings + " postings)<br>p10 " + w.daily.p10 + " · p25 " + w.daily.p25 + " · p50 " +
          w.daily.p50 + " · p75 " + w.daily.p75 + " · p90 " + w.daily.p90 + " 元/天"; } },
      yAxis: { type: "category", data: shown.map(function (w) { return w.name + " (" + w.postings + ")"; }),
               axisLabel: { fontSize: 10 } },
      // The value axis spans every value of every box (p10 to p90), ECharts' data extent, widened by 5% of it on
      // each side before ECharts rounds it out to ticks: without the margin a whisker on a round number (200, 800)
      // ends exactly on the plot's frame and reads as cut off. Never below 0 元.
      xAxis: { type: "value", name: "元/天", nameLocation: "middle", nameGap: 22, scale: true, boundaryGap: ["5%", "5%"],
               min: function (data) { return data.min - 0.05 * (data.max - data.min) < 0 ? 0 : null; } },
      series: [{ type: "boxplot", data: shown.map(function (w) {
        return [w.daily.p10, w.daily.p25, w.daily.p50, w.daily.p75, w.daily.p90]; }) }]
    };
  }
  window.lingongWageOption = wageOption;

  var params = new URLSearchParams(location.search);
  var query = new URLSearchParams();
  ["month", "region", "min_count"].forEach(function (k) { if (params.get(k)) query.set(k, params.get(k)); });
  var fmt = function (v) { return v === null || v === undefined ? "—" : String(v); };
  document.getElementById("json-link").href = "/v1/stats/market?" + query.toString();

  function getJSON(url) { return fetch(url).then(function (r) { return r.json(); }); }

  Promise.all([getJSON("/v1/stats/market?" + query.toString()), getJSON("/v1/markets"),
               getJSON("/market/static/guangdong.json")]).then(function (res) {
    var report = res[0], markets = res[1].markets, outline = res[2];
    document.getElementById("month").textContent = report.month;
    document.getElementById("region").textContent = report.region || "";
    document.getElementById("demand-total").textContent = fmt(report.total.demand);
    document.getElementById("postings-total").textContent = fmt(report.total.postings);
    document.getElementById("seekers-total").textContent = fmt(report.total.seekers);
    document.getElementById("ratio-total").textContent = fmt(report.total.ratio);
    document.getElementById("ratio-change").textContent =
      report.total.ratio_change === null ? "" : "(" + (report.total.ratio_change >= 0 ? "+" : "") + report.total.ratio_change + " vs last month)";
    document.getElementById("wage-median").textContent =
      report.wages_total.suppressed ? "—" : fmt(report.wages_total.daily.p50);
    document.getElementById("markets-count").textContent = String(markets.length);
    document.getElementById("seekers-note").textContent = report.seekers_note || "";
    document.getElementById("pay-note").textContent = report.pay_note;

    // Map: the outline's features carry GB/T 2260 city codes as ids; join the report's city rows on them.
    echarts.registerMap("guangdong", outline);
    var nameByCode = {};
    outline.features.forEach(function (f) { nameByCode[f.id] = f.properties.name; });
    var mapData = [], maxDemand = 1, unmatched = [];
    report.by_region.forEach(function (r) {
      var name = nameByCode[r.code];
      if (name) { mapData.push({ name: name, value: r.demand, code: r.code }); maxDemand = Math.max(maxDemand, r.demand); }
      else { unmatched.push(r.name + " " + r.code); }
    });
    var points = markets.filter(function (m) { return m.lat !== null && m.lon !== null; })
      .map(function (m) { return { name: m.name, value: [m.lon, m.lat], market: m }; });
    var map = echarts.init(document.getElementById("map"));
    map.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesType === "scatter") { var m = p.data.market;
          return m.name + "<br>" + (m.address || "") + "<br>" + (m.hours || "") + "<br>" + (m.services || []).join("、"); }
        return p.name + ": 需求人数 " + fmt(p.value); } },
      visualMap: { seriesIndex: 0, min: 0, max: maxDemand, left: 10, bottom: 10, text: ["需求人数", ""], calculable: true,
                   inRange: { color: ["#fde0c5", "#f59e72", "#c23531"] } },
      geo: { map: "guangdong", roam: false, label: { show: true, fontSize: 10 }, itemStyle: { borderColor: "#999" } },
      series: [
        { name: "需求人数", type: "map", geoIndex: 0, data: mapData },
        { name: "零工市场", type: "scatter", coordinateSystem: "geo", data: points, symbol: "pin", symbolSize: 26,
          itemStyle: { color: "#1f6fb2" }, label: { show: true, formatter: "{b}", position: "right", fontSize: 10 } }
      ]
    });
    window.lingongMapUnmatched = unmatched;

    var trend = echarts.init(document.getElementById("trend"));
    trend.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { data: ["需求人数", "求人倍率"] },
      xAxis: { type: "category", data: report.trend.map(function (t) { return t.month; }) },
      yAxis: [{ type: "value", name: "人" }, { type: "value", name: "倍率" }],
      series: [
        { name: "需求人数", type: "bar", data: report.trend.map(function (t) { return t.demand; }), itemStyle: { color: "#f59e72" } },
        { name: "求人倍率", type: "line", yAxisIndex: 1, connectNulls: false,
          data: report.trend.map(function (t) { return t.ratio === null ? "-" : t.ratio; }) }
      ]
    });

    var shown = report.wages.filter(function (w) { return !w.suppressed; }).slice(0, 10);
    echarts.init(document.getElementById("wages")).setOption(wageOption(shown));

    function table(id, rows, seekers) {
      var head = "<tr><th>" + ["", "需求人数", "postings"].concat(seekers ? ["求职人数", "求人倍率", "变化"] : []).join("</th><th>") + "</th></tr>";
      document.getElementById(id).innerHTML = head + rows.map(function (r) {
        var cells = [r.code + " " + r.name, r.demand, r.postings];
        if (seekers) cells = cells.concat([fmt(r.seekers), fmt(r.ratio), fmt(r.ratio_change)]);
        return "<tr><td>" + cells.join("</td><td>") + "</td></tr>"; }).join("");
    }
    table("occupations", report.by_occupation, true);
    table("industries", report.by_industry, false);
    document.getElementById("shortage").textContent = report.shortage.length
      ? report.shortage.map(function (s) { return s.code + " " + s.name; }).join("、")
      : "none: " + (report.seekers_note ? "no seekers to divide by" : "no occupation above " + report.settings.shortage_threshold +
        " in each of the last " + report.settings.shortage_months + " months");
    document.body.setAttribute("data-ready", "1");
  }).catch(function (e) { document.body.setAttribute("data-error", String(e)); });
})();
