/* The statistics charts (templates/statistics/_stats.html `echart`): Apache ECharts draws each
   figure from its data-chart attribute. The same numbers are in the table beside every chart, so
   without this file (or without JavaScript) the page loses pictures, never figures. No inline
   script or style attribute anywhere (CSP script-src 'self'): sizes are set through element.style,
   and tooltips are drawn on the canvas (renderMode "richText"), not as HTML with style attributes. */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  var root = getComputedStyle(document.documentElement);
  function cssVar(name, fallback) { return (root.getPropertyValue(name) || "").trim() || fallback; }
  var ACCENT = cssVar("--accent", "#1f5f99");
  var SECOND = cssVar("--line", "#c9d3de");
  var INK = cssVar("--ink-2", "#3c4a5a");
  var FONT = getComputedStyle(document.body).fontFamily;
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;

  function fmt(value, unit) {
    if (unit === "wan") {
      return Number(value).toLocaleString(zh ? "zh-CN" : "en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    return Number(value).toLocaleString(zh ? "zh-CN" : "en");
  }
  // "3 次", "123.46 万元"; in English "3 deals", "¥1,234,600" (the same 万元 figure times 10,000).
  function withUnit(value, unit, units) {
    if (!zh && unit === "wan") {
      return "¥" + Math.round(Number(value) * 10000).toLocaleString("en");
    }
    if (!zh && unit === "count") {
      return fmt(value, unit) + (Number(value) === 1 ? " deal" : " deals");
    }
    return fmt(value, unit) + " " + units[unit];
  }

  // Names that mostly begin alike ("浦江之光专利超市·…店") are drawn without the shared part up to
  // its separator; the table beside the chart still gives every name in full.
  function shortNames(names) {
    var prefix = null;
    names.some(function (n) {
      var at = n.search(/[·・•:：]/);
      if (at >= 2) { prefix = n.slice(0, at + 1); }
      return prefix !== null;
    });
    if (!prefix) { return names; }
    var sharing = names.filter(function (n) { return n.indexOf(prefix) === 0 && n.length > prefix.length; }).length;
    if (sharing < 2 || sharing * 2 < names.length) { return names; }
    return names.map(function (n) { return n.indexOf(prefix) === 0 ? n.slice(prefix.length).trim() : n; });
  }

  // One horizontal bar per category (points, industries, types...): the first series is drawn,
  // the others are written after the bar ("3 次 · 123.46 万元"). On a desktop the names have a
  // column of their own; on a phone each name is written above its bar, across the whole width.
  function barsOption(spec, narrow) {
    var drawn = spec.series[0];
    var rest = spec.series.slice(1);
    var cats = shortNames(spec.categories).reverse();  // ECharts draws the first category at the bottom
    var values = drawn.values.slice().reverse();
    var n = spec.categories.length;
    var names = narrow
      ? { inside: true, align: "left", verticalAlign: "bottom", padding: [0, 0, 9, 2], color: INK, fontSize: 12,
          width: 320, overflow: "truncate", interval: 0 }
      : { color: INK, fontSize: 12, width: 220, overflow: "break", interval: 0, lineHeight: 14 };
    return {
      textStyle: { fontFamily: FONT },
      animation: false,
      grid: narrow ? { left: 4, right: 112, top: 20, bottom: 22, containLabel: false }
                   : { left: 8, right: 170, top: 8, bottom: 22, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: INK, fontSize: 11 } },
      yAxis: { type: "category", data: cats, axisLabel: names, axisTick: { show: false }, z: 5 },
      series: [{
        name: drawn.name, type: "bar", data: values, itemStyle: { color: ACCENT },
        barMaxWidth: narrow ? 10 : 18,
        label: {
          show: true, position: "right", color: INK, fontSize: 11,
          formatter: function (p) {
            var i = n - 1 - p.dataIndex;
            if (!drawn.values[i]) { return ""; }  // a row with nothing: its table row says 0
            var parts = [withUnit(drawn.values[i], drawn.unit, spec.units)];
            rest.forEach(function (s) { parts.push(withUnit(s.values[i], s.unit, spec.units)); });
            return parts.join(narrow ? "\n" : " · ");
          }
        }
      }]
    };
  }

  // Categories along the bottom (months), every series drawn side by side: this period and a year earlier.
  function columnsOption(spec, narrow) {
    var unit = spec.series[0].unit;
    return {
      textStyle: { fontFamily: FONT },
      animation: false,
      legend: { top: 0, textStyle: { color: INK, fontSize: 12 } },
      grid: { left: 8, right: 12, top: 34, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText",
                 valueFormatter: function (v) { return withUnit(v, unit, spec.units); } },
      xAxis: { type: "category", data: spec.categories,
               axisLabel: { color: INK, fontSize: 11, hideOverlap: true, rotate: narrow && spec.categories.length > 6 ? 45 : 0 } },
      yAxis: { type: "value", minInterval: unit === "count" ? 1 : 0, name: spec.units[unit],
               nameTextStyle: { color: INK }, axisLabel: { color: INK, fontSize: 11 } },
      series: spec.series.map(function (s, i) {
        return { name: s.name, type: "bar", data: s.values, barMaxWidth: 22,
                 itemStyle: { color: i === 0 ? ACCENT : SECOND } };
      })
    };
  }

  var drawn = [];
  function draw(el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    el.classList.add("is-drawn");  // shown first: a hidden box has no width to draw into
    var narrow = el.clientWidth < 520;
    // Height from the content: a bar per category, or a fixed band for a trend.
    el.style.height = spec.kind === "bars"
      ? (Math.max(spec.categories.length, 2) * (narrow ? 46 : 30) + 44) + "px"
      : (narrow ? 240 : 280) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(spec.kind === "bars" ? barsOption(spec, narrow) : columnsOption(spec, narrow));
    drawn.push({ el: el, chart: chart, spec: spec, narrow: narrow });
  }
  document.querySelectorAll(".stats-echart[data-chart]").forEach(draw);

  // Phone turned, window resized: redraw at the new width (and relabel if it crossed the phone width).
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (d) {
        var narrow = d.el.clientWidth < 520;
        if (narrow !== d.narrow) {
          d.narrow = narrow;
          d.chart.setOption(d.spec.kind === "bars" ? barsOption(d.spec, narrow) : columnsOption(d.spec, narrow), true);
        }
        d.chart.resize();
      });
    }, 150);
  });
})();
