// The management page: plain DOM, no framework. Every API call sends the X-Gateway-Request header,
// which the server requires for state changes (a cross-site form cannot set it).
"use strict";

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const init = Object.assign({ credentials: "same-origin" }, options);
  init.headers = Object.assign({ "X-Gateway-Request": "1" }, options.headers || {});
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  row.appendChild(td);
}

function fill(tableId, rows) {
  const tbody = $(tableId).querySelector("tbody");
  tbody.replaceChildren();
  for (const values of rows) {
    const tr = document.createElement("tr");
    values.forEach((v) => cell(tr, v));
    tbody.appendChild(tr);
  }
}

function show(loggedIn) {
  $("login-view").hidden = loggedIn;
  $("main-view").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
}

async function refresh() {
  const r = await api("/api/overview");
  if (r.status === 401) { show(false); return; }
  show(true);
  const o = r.body;
  const health = o.health;
  if (health) {
    $("gateway-state").textContent = health.state;
    $("gateway-state").className = "state " + health.state;
    const services = (health.detail && health.detail.services) || {};
    fill("services", Object.keys(services).sort().map((name) =>
      [name, services[name].state, services[name].version || ""]));
    const host = (health.detail && health.detail.host) || {};
    $("host").textContent = "Disk used " + host.diskUsedPercent + " %, memory used " +
      host.memoryUsedPercent + " %, CPU " + host.cpuPercent + " %, load " + host.load1;
  } else {
    $("gateway-state").textContent = "no report yet";
  }
  $("installed").textContent = o.installed
    ? o.installed.version + " (" + o.installed.digest + "), installed " +
      new Date(o.installed.installedAt).toISOString()
    : "none";
  const a = o.activity || {};
  $("activity").textContent = a.step
    ? "Working on " + a.command + ": " + a.step
    : a.lastCommand
      ? "Idle; last command " + a.lastCommand + (a.lastOk === false ? " failed" : " done")
      : "Idle";
  fill("history", (o.history || []).map((b) =>
    [b.version, b.digest, new Date(b.installedAt).toISOString()]));
  $("export").href = o.exportUrl;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const r = await api("/api/login", { method: "POST", body: { token: $("token").value } });
  $("token").value = "";
  if (r.status === 200) {
    await refresh();
  } else {
    $("login-error").textContent = "Login refused: " + ((r.body && r.body.error) || r.status);
  }
});

$("restart-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const service = $("restart-service").value.trim();
  const what = service === "" ? "the whole stack" : service;
  if (!window.confirm("Restart " + what + "?")) { return; }
  const r = await api("/api/restart", { method: "POST", body: { service } });
  $("restart-result").textContent = r.status === 202
    ? "Restart of " + r.body.service + " requested (command " + r.body.commandId + ")"
    : "Restart refused: " + ((r.body && r.body.error) || r.status);
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  show(false);
});

refresh();
setInterval(refresh, 10000);
