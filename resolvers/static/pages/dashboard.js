// The live invite dashboard (/dashboard): tghub's own script, no library. It reads the data
// with GraphQL queries over HTTP, then follows the `inviteEvents` subscription over a
// graphql-transport-ws socket: no polling. After every (re)connection it queries again,
// since events sent while it was away are lost (subscriptions deliver at most once).
//
// It acts as the signed-in admin with an access token of the admin's own session, asked of
// POST /dashboard/token with the page's CSRF token; a refused token (socket closed with
// 4403, UNAUTHENTICATED) is asked for again, and an ended session goes to the login page.
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) {
    return;
  }
  var config = {
    csrf: root.dataset.csrf,
    tokenUrl: root.dataset.tokenUrl,
    documents: root.dataset.documents,
    documentsIntegrity: root.dataset.documentsIntegrity,
  };
  var LOG_ROWS = 20;
  var STATUSES = ["invited", "link_sent", "failed", "skipped"];
  var BACKOFF_FIRST_MS = 500;
  var BACKOFF_MAX_MS = 30000;

  var state = {
    token: null,
    documents: null,
    period: "DAY",
    counts: {},
    history: [],
    seenLogs: new Set(),
    socket: null,
    attempt: 0,
    reconnectTimer: null,
    accountsTimer: null,
  };

  // --- small helpers ----------------------------------------------------------------------

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function utc(iso) {
    if (!iso) {
      return "—";
    }
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return String(iso);
    }
    return (
      d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds())
    );
  }

  function statusName(value) {
    return String(value || "").toLowerCase();
  }

  function setConnection(text, kind) {
    var node = byId("connection");
    node.textContent = text;
    node.className = "connection " + kind;
    root.dataset.connection = kind;
  }

  function signInAgain() {
    setConnection("Signed out: going to the login page…", "ended");
    window.location.assign("/login?next=" + encodeURIComponent("/dashboard"));
  }

  // --- tokens and queries -----------------------------------------------------------------

  function AuthEnded() {}

  async function fetchToken() {
    var response = await fetch(config.tokenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": config.csrf },
    });
    if (response.status === 401 || response.status === 403) {
      throw new AuthEnded();
    }
    if (!response.ok) {
      throw new Error("token: HTTP " + response.status);
    }
    state.token = (await response.json()).accessToken;
    return state.token;
  }

  async function loadDocuments() {
    if (state.documents === null) {
      var response = await fetch(config.documents, {
        integrity: config.documentsIntegrity,
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error("documents: HTTP " + response.status);
      }
      state.documents = await response.text();
    }
    return state.documents;
  }

  function unauthenticated(body) {
    return (body.errors || []).some(function (error) {
      return error.extensions && error.extensions.code === "UNAUTHENTICATED";
    });
  }

  async function query(operationName, variables, retried) {
    var documents = await loadDocuments();
    if (!state.token) {
      await fetchToken();
    }
    var response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Authorization: "Bearer " + state.token,
      },
      body: JSON.stringify({
        query: documents,
        operationName: operationName,
        variables: variables || {},
      }),
    });
    var body = await response.json();
    if (unauthenticated(body) && !retried) {
      state.token = null;
      return query(operationName, variables, true);
    }
    if (body.errors && body.errors.length) {
      throw new Error(operationName + ": " + body.errors[0].message);
    }
    return body.data;
  }

  // --- rendering --------------------------------------------------------------------------

  function renderCounts() {
    STATUSES.forEach(function (status) {
      var value = state.counts[status];
      byId("count-" + status).textContent = value === undefined ? "–" : String(value);
    });
  }

  function renderQueue(length, threshold, over) {
    byId("queue-length").textContent = String(length);
    byId("queue-threshold").textContent = String(threshold);
    byId("queue").classList.toggle("over", over);
    var banner = byId("queue-alert");
    banner.textContent =
      "The queue holds " + length + " phones, over its threshold of " + threshold + ".";
    banner.hidden = !over;
  }

  // An alert event stays on the page after the queue drains: when, and how long it was.
  function showAlert(event) {
    var last = byId("last-alert");
    last.textContent =
      "Last queue alert: " + utc(event.at) + " UTC, " + event.queueLength +
      " phones waiting over the threshold of " + event.queueThreshold + ".";
    last.hidden = false;
    last.classList.remove("new");
    void last.offsetWidth;  // restarts the highlight
    last.classList.add("new");
  }

  function renderStats(stats) {
    state.counts = {
      invited: stats.invited,
      link_sent: stats.linkSent,
      failed: stats.failed,
      skipped: stats.skipped,
    };
    renderCounts();
    renderQueue(stats.queueLength, stats.queueThreshold, stats.overThreshold);
  }

  function pausedText(account) {
    if (!account.pausedUntil || new Date(account.pausedUntil) <= new Date()) {
      return "—";
    }
    var reason = account.pauseReason ? " (" + account.pauseReason + ")" : "";
    return "until " + utc(account.pausedUntil) + reason;
  }

  function renderAccounts(accounts) {
    var body = byId("accounts-body");
    body.replaceChildren();
    if (!accounts.length) {
      var row = element("tr");
      var cell = element("td", "No Telegram account serves invites yet.");
      cell.colSpan = 6;
      row.appendChild(cell);
      body.appendChild(row);
      return;
    }
    accounts.forEach(function (account) {
      var row = element("tr");
      row.dataset.accountId = account.id;
      [
        account.phone,
        statusName(account.status),
        account.invitesLeft,
        account.inviteQuota,
        utc(account.inviteLastUsedAt),
        pausedText(account),
      ].forEach(function (value) {
        row.appendChild(element("td", value));
      });
      body.appendChild(row);
    });
  }

  function logRow(log) {
    var row = element("tr", null, "log status-" + statusName(log.status));
    row.dataset.logId = log.id;
    [
      utc(log.createdAt),
      statusName(log.status),
      log.phone,
      log.accountName || "—",
      log.channelUsername ? "@" + log.channelUsername : "—",
      log.reason || "",
    ].forEach(function (value) {
      row.appendChild(element("td", value));
    });
    return row;
  }

  function renderLogs(logs) {
    var body = byId("logs-body");
    body.replaceChildren();
    logs.forEach(function (log) {
      body.appendChild(logRow(log));
    });
  }

  function addLog(log) {
    var body = byId("logs-body");
    var row = logRow(log);
    row.classList.add("new");
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > LOG_ROWS) {
      body.deleteRow(body.rows.length - 1);
    }
  }

  // --- the history chart (SVG, drawn here) ------------------------------------------------

  var SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, String(attributes[name]));
    });
    if (text !== undefined) {
      node.textContent = String(text);
    }
    return node;
  }

  // The buckets of the period, oldest first, empty ones included: hours over the last 24
  // hours or days over the last 7 (UTC), labelled as /api/stats/history labels them.
  function slots(period, now) {
    var result = [];
    var start = new Date(now.getTime());
    if (period === "DAY") {
      start.setUTCMinutes(0, 0, 0);
      for (var h = 23; h >= 0; h--) {
        var hour = new Date(start.getTime() - h * 3600 * 1000);
        result.push({ label: hourLabel(hour), short: pad(hour.getUTCHours()) });
      }
    } else {
      start.setUTCHours(0, 0, 0, 0);
      for (var d = 6; d >= 0; d--) {
        var day = new Date(start.getTime() - d * 86400 * 1000);
        result.push({ label: dayLabel(day), short: dayLabel(day).slice(5) });
      }
    }
    return result;
  }

  function dayLabel(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }

  function hourLabel(d) {
    return dayLabel(d) + "T" + pad(d.getUTCHours()) + ":00:00Z";
  }

  function labelOf(iso, period) {
    var d = new Date(iso);
    return period === "DAY" ? hourLabel(d) : dayLabel(d);
  }

  function renderHistory() {
    var counts = {};
    state.history.forEach(function (bucket) {
      counts[bucket.timestamp] = bucket.count;
    });
    var buckets = slots(state.period, new Date());
    var width = 720;
    var height = 220;
    var top = 16;
    var bottom = 28;
    var left = 40;
    var max = 1;
    buckets.forEach(function (bucket) {
      bucket.count = counts[bucket.label] || 0;
      max = Math.max(max, bucket.count);
    });
    var chart = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": "Log rows per " + (state.period === "DAY" ? "hour" : "day"),
      class: "history",
    });
    var plot = height - top - bottom;
    var step = (width - left) / buckets.length;
    chart.appendChild(svg("line", { x1: left, y1: top + plot, x2: width, y2: top + plot, class: "axis" }));
    chart.appendChild(svg("text", { x: left - 6, y: top + 4, class: "tick end" }, max));
    chart.appendChild(svg("text", { x: left - 6, y: top + plot, class: "tick end" }, 0));
    buckets.forEach(function (bucket, index) {
      var barHeight = Math.round((bucket.count / max) * plot);
      var x = left + index * step + step * 0.15;
      var bar = svg("rect", {
        x: x.toFixed(1),
        y: top + plot - barHeight,
        width: (step * 0.7).toFixed(1),
        height: barHeight,
        class: "bar",
        "data-bucket": bucket.label,
        "data-count": bucket.count,
      });
      bar.appendChild(svg("title", {}, bucket.label + ": " + bucket.count));
      chart.appendChild(bar);
      var labelEvery = state.period === "DAY" ? 3 : 1;
      if (index % labelEvery === 0) {
        chart.appendChild(
          svg("text", { x: (x + step * 0.35).toFixed(1), y: height - 8, class: "tick middle" },
            bucket.short)
        );
      }
    });
    byId("history-chart").replaceChildren(chart);
  }

  function countInHistory(log) {
    var label = labelOf(log.createdAt, state.period);
    var found = state.history.find(function (bucket) {
      return bucket.timestamp === label;
    });
    if (found) {
      found.count += 1;
    } else {
      state.history.push({ timestamp: label, start: log.createdAt, count: 1 });
    }
    renderHistory();
  }

  // --- data -------------------------------------------------------------------------------

  async function refetch() {
    var data = await query("DashboardSnapshot", { period: state.period, logs: LOG_ROWS });
    renderStats(data.inviteStats);
    state.history = data.inviteHistory;
    renderHistory();
    renderAccounts(data.inviteAccounts);
    var logs = data.inviteLogs.nodes;
    state.seenLogs = new Set(logs.map(function (log) { return log.id; }));
    renderLogs(logs);
  }

  async function refetchHistory() {
    var data = await query("DashboardHistory", { period: state.period });
    state.history = data.inviteHistory;
    renderHistory();
  }

  // A log row changes the accounts' quotas and last use: asked again once things calm down.
  function accountsLater() {
    window.clearTimeout(state.accountsTimer);
    state.accountsTimer = window.setTimeout(function () {
      query("DashboardAccounts", {})
        .then(function (data) { renderAccounts(data.inviteAccounts); })
        .catch(reportError);
    }, 500);
  }

  function onEvent(event) {
    if (event.__typename === "InviteLogWritten") {
      var log = event.log;
      if (state.seenLogs.has(log.id)) {
        return;  // already in the snapshot queried after this socket subscribed
      }
      state.seenLogs.add(log.id);
      var status = statusName(log.status);
      state.counts[status] = (state.counts[status] || 0) + 1;
      renderCounts();
      countInHistory(log);
      addLog(log);
      accountsLater();
    } else if (event.__typename === "InviteQueueLengthChanged") {
      renderQueue(event.queueLength, event.queueThreshold, event.overThreshold);
    } else if (event.__typename === "InviteQueueAlert") {
      showAlert(event);
    }
  }

  function reportError(error) {
    if (error instanceof AuthEnded) {
      signInAgain();
      return;
    }
    if (window.console) {
      window.console.warn("dashboard:", error);
    }
  }

  // --- the socket (graphql-transport-ws) --------------------------------------------------

  function socketUrl() {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") +
      window.location.host + "/graphql";
  }

  function send(socket, message) {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function reconnectLater() {
    if (state.reconnectTimer !== null) {
      return;
    }
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, state.attempt));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    state.attempt += 1;
    setConnection("Reconnecting in " + Math.ceil(delay / 1000) + " s…", "reconnecting");
    state.reconnectTimer = window.setTimeout(function () {
      state.reconnectTimer = null;
      start();
    }, delay);
  }

  function subscribe(socket) {
    send(socket, {
      id: "invite-events",
      type: "subscribe",
      payload: { query: state.documents, operationName: "DashboardEvents" },
    });
  }

  function onMessage(socket, message) {
    switch (message.type) {
      case "connection_ack":
        state.attempt = 0;
        subscribe(socket);
        // Subscribed first, then queried: nothing that happens in between is missed.
        refetch()
          .then(function () { setConnection("Live", "live"); })
          .catch(function (error) {
            reportError(error);
            socket.close(4000, "refetch failed");
          });
        break;
      case "ping":
        send(socket, { type: "pong" });
        break;
      case "next":
        if (message.payload.errors && message.payload.errors.length) {
          // The server lost its event bus (UNAVAILABLE) or refused us: start over.
          if (unauthenticated(message.payload)) {
            state.token = null;
          }
          socket.close(4000, "subscription error");
        } else {
          onEvent(message.payload.data.inviteEvents);
        }
        break;
      case "error":
      case "complete":
        socket.close(4000, "subscription ended");
        break;
      default:
        break;
    }
  }

  function connect() {
    var socket = new WebSocket(socketUrl(), "graphql-transport-ws");
    state.socket = socket;
    socket.addEventListener("open", function () {
      send(socket, {
        type: "connection_init",
        payload: { Authorization: "Bearer " + state.token },
      });
    });
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        socket.close(4400, "unreadable message");
        return;
      }
      onMessage(socket, message);
    });
    socket.addEventListener("close", function (event) {
      if (state.socket !== socket) {
        return;
      }
      state.socket = null;
      if (event.code === 4403) {
        state.token = null;  // expired or revoked: a new one, or the login page
      }
      reconnectLater();
    });
  }

  async function start() {
    setConnection("Connecting…", "connecting");
    try {
      await loadDocuments();
      if (!state.token) {
        await fetchToken();
      }
      connect();
    } catch (error) {
      if (error instanceof AuthEnded) {
        signInAgain();
        return;
      }
      reportError(error);
      reconnectLater();
    }
  }

  // --- the period switch ------------------------------------------------------------------

  Array.prototype.forEach.call(root.querySelectorAll("[data-period]"), function (button) {
    button.addEventListener("click", function () {
      state.period = button.dataset.period;
      Array.prototype.forEach.call(root.querySelectorAll("[data-period]"), function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
      refetchHistory().catch(reportError);
    });
  });

  start();
})();
