// fusebox report.html: draws the charts from the data embedded in the page
// (the JSON element with id "fusebox-data"), with the inlined Chart.js (3.x or 4.x: only the API both
// share is used). Fault windows and operator actions are shaded on every time chart by a
// small plugin below. When done it sets document.body.dataset.rendered to "ok", or to
// "error: <message>" when a chart could not be drawn, so a headless browser can tell.
(function () {
  'use strict';

  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',
                   '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  // An operator's switch-off stops traffic as an open breaker does, so it shares that level.
  const BREAKER_LEVEL = {closed: 0, half_open: 0.5, open: 1, switched_off: 1};
  const BREAKER_NAME = {0: 'closed', 0.5: 'half-open', 1: 'open / off'};

  function color(index) { return PALETTE[index % PALETTE.length]; }

  // One {x, y} point per second; anything that is not a finite number becomes a gap.
  function points(t, values, transform) {
    const out = [];
    for (let i = 0; i < t.length; i++) {
      let y = Array.isArray(values) && i < values.length ? values[i] : null;
      if (transform) y = transform(y);
      if (typeof y !== 'number' || !isFinite(y)) y = null;
      out.push({x: t[i], y: y});
    }
    return out;
  }

  function positiveOnly(y) { return typeof y === 'number' && y > 0 ? y : null; }
  function breakerLevel(y) {
    return Object.prototype.hasOwnProperty.call(BREAKER_LEVEL, y) ? BREAKER_LEVEL[y] : null;
  }

  // Shades each window [from_s, to_s] across the chart area, under the data.
  function windowShading(windows) {
    return {
      id: 'fuseboxWindows',
      beforeDatasetsDraw(chart) {
        const x = chart.scales.x;
        const area = chart.chartArea;
        if (!x || !area) return;
        const ctx = chart.ctx;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        ctx.font = '10px sans-serif';
        for (const w of windows) {
          const left = Math.max(x.getPixelForValue(w.from_s), area.left);
          const right = Math.min(x.getPixelForValue(w.to_s), area.right);
          if (!(right > left)) continue;
          const fault = w.kind === 'fault';
          ctx.fillStyle = fault ? 'rgba(214, 39, 40, 0.13)' : 'rgba(31, 119, 180, 0.12)';
          ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
          ctx.fillStyle = fault ? 'rgba(150, 20, 20, 0.9)' : 'rgba(20, 70, 130, 0.9)';
          ctx.fillText(w.label, left + 3, area.top + (fault ? 11 : 23));
        }
        ctx.restore();
      }
    };
  }

  // Vertical dashed lines at given x values (the capacity curve's knee and forecast).
  function markers(lines) {
    return {
      id: 'fuseboxMarkers',
      afterDatasetsDraw(chart) {
        const x = chart.scales.x;
        const area = chart.chartArea;
        if (!x || !area) return;
        const ctx = chart.ctx;
        ctx.save();
        ctx.font = '11px sans-serif';
        for (const line of lines) {
          if (typeof line.x !== 'number') continue;
          const px = x.getPixelForValue(line.x);
          if (px < area.left || px > area.right) continue;
          ctx.strokeStyle = line.color;
          ctx.fillStyle = line.color;
          ctx.setLineDash([6, 4]);
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
          ctx.fillText(line.label, px + 4, area.top + 12);
        }
        ctx.restore();
      }
    };
  }

  function line(label, data, index, extra) {
    return Object.assign({
      label: label, data: data, borderColor: color(index), backgroundColor: color(index),
      borderWidth: 1.5, pointRadius: 0, spanGaps: false, tension: 0
    }, extra || {});
  }

  // Every time chart reserves the same width for its y axis, so their x axes line up
  // pixel for pixel down the page.
  function fixedWidth(scale) { scale.width = 76; }

  function timeOptions(data, yAxis) {
    yAxis.afterFit = fixedWidth;
    return {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
      interaction: {mode: 'nearest', axis: 'x', intersect: false},
      plugins: {legend: {position: 'bottom', labels: {boxWidth: 12}}},
      scales: {
        x: {type: 'linear', min: 0, max: data.x_max_s > 0 ? data.x_max_s : undefined,
            title: {display: true, text: data.x_title || 'time (s)'}},
        y: yAxis
      }
    };
  }

  function throughputDatasets(t, series) {
    const kinds = ['sent', 'ok', 'rejected', 'errors'];
    return kinds.map((kind, i) => line(kind + '/s', points(t, series[kind]), i));
  }

  function perChannel(data, key, transform, extra) {
    return data.channels.map((channel, i) =>
      line(channel.name, points(data.t_s, channel.series[key], transform), i, extra));
  }

  function latencyDatasets(data) {
    const out = [];
    data.channels.forEach((channel, i) => {
      out.push(line(channel.name + ' p50', points(data.t_s, channel.series.p50_ms, positiveOnly), i,
                    {borderDash: [4, 3]}));
      out.push(line(channel.name + ' p99', points(data.t_s, channel.series.p99_ms, positiveOnly), i));
    });
    return out;
  }

  function timeChart(data, kind, seriesName) {
    const t = data.t_s;
    if (kind === 'throughput') {
      const series = seriesName === 'overall' ? data.overall : data.channels[Number(seriesName)].series;
      return {datasets: throughputDatasets(t, series || {}),
              y: {beginAtZero: true, title: {display: true, text: 'per second'}}};
    }
    if (kind === 'success_rate') {
      return {datasets: perChannel(data, 'success_rate'),
              y: {min: 0, max: 1, title: {display: true, text: 'success rate'}}};
    }
    if (kind === 'latency') {
      return {datasets: latencyDatasets(data),
              y: {type: 'logarithmic', title: {display: true, text: 'ms'}}};
    }
    if (kind === 'breaker') {
      return {datasets: perChannel(data, 'breaker', breakerLevel, {stepped: 'before'}),
              y: {min: -0.1, max: 1.1,
                  afterBuildTicks: (scale) => { scale.ticks = [{value: 0}, {value: 0.5}, {value: 1}]; },
                  ticks: {callback: (v) => BREAKER_NAME[v] || ''}}};
    }
    if (kind === 'pending') {
      return {datasets: perChannel(data, 'pending'),
              y: {beginAtZero: true, title: {display: true, text: 'orders'}}};
    }
    throw new Error('unknown chart kind ' + kind);
  }

  function drawTimeChart(canvas, data) {
    const spec = timeChart(data, canvas.dataset.chart, canvas.dataset.series);
    return new Chart(canvas, {
      type: 'line', data: {datasets: spec.datasets},
      options: timeOptions(data, spec.y), plugins: [windowShading(data.windows)]
    });
  }

  function drawCapacityChart(canvas, data) {
    const capacity = data.capacity || {steps: []};
    const steps = capacity.steps || [];
    const pick = (key, transform) => steps.map((s) => {
      let y = transform ? transform(s[key]) : s[key];
      return {x: s.tps, y: typeof y === 'number' && isFinite(y) ? y : null};
    });
    return new Chart(canvas, {
      type: 'line',
      data: {datasets: [
        line('p50 ms', pick('p50_ms', positiveOnly), 0, {pointRadius: 3, borderDash: [4, 3]}),
        line('p99 ms', pick('p99_ms', positiveOnly), 1, {pointRadius: 3}),
        line('achieved TPS', pick('achieved_tps'), 2, {pointRadius: 3, yAxisID: 'tps'})
      ]},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {position: 'bottom', labels: {boxWidth: 12}}},
        scales: {
          x: {type: 'linear', title: {display: true, text: 'offered TPS'}},
          y: {type: 'logarithmic', position: 'left', title: {display: true, text: 'latency ms'}},
          tps: {type: 'linear', position: 'right', beginAtZero: true,
                title: {display: true, text: 'achieved TPS'}, grid: {drawOnChartArea: false}}
        }
      },
      plugins: [markers([
        {x: capacity.knee_tps, label: 'knee', color: '#d62728'},
        {x: capacity.forecast_tps, label: 'forecast', color: '#555'}
      ])]
    });
  }

  function render() {
    const errors = [];
    let data;
    try {
      data = JSON.parse(document.getElementById('fusebox-data').textContent);
      if (typeof Chart === 'undefined') throw new Error('Chart.js is missing');
    } catch (e) {
      document.body.dataset.rendered = 'error: ' + e.message;
      return;
    }
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      try {
        if (canvas.dataset.chart === 'capacity') {
          drawCapacityChart(canvas, data);
        } else {
          drawTimeChart(canvas, data);
        }
        canvas.dataset.drawn = 'yes';
      } catch (e) {
        errors.push(canvas.id + ': ' + e.message);
      }
    }
    document.body.dataset.rendered = errors.length ? 'error: ' + errors.join('; ') : 'ok';
  }

  render();
})();
