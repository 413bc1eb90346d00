// The llb page: a problem form, a live run, past runs. Talks only to this server's JSON API.
"use strict";

const $ = (selector) => document.querySelector(selector);
let currentExample = null;   // the bundled example that filled the form, with its programs
let currentEvents = null;    // the EventSource of the run on screen

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new Error(body && body.error ? body.error : `the server answered ${response.status}`);
  }
  return body;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

function show(view) {
  for (const id of ["form-view", "run-view", "runs-view"]) $("#" + id).hidden = id !== view;
}

function setError(selector, message) {
  const box = $(selector);
  box.textContent = message || "";
  box.hidden = !message;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function number(value, digits = 3) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

// -- the form ---------------------------------------------------------------------------------
async function loadExamples() {
  const { examples } = await api("/api/examples");
  const select = $("#example-select");
  for (const example of examples) {
    const option = element("option", example.name);
    option.value = example.name;
    option.title = example.text;
    select.appendChild(option);
  }
}

async function useExample() {
  const name = $("#example-select").value;
  if (!name) return;
  const example = await api("/api/examples/" + encodeURIComponent(name));
  currentExample = example;
  $("#text").value = example.text;
  $("#goal").value = example.goal;
  $("#data-text").value = example.data_csv !== undefined ? example.data_csv : JSON.stringify(example.data, null, 1);
  $("#declarations-input").value = example.data_declarations || "";
  $("#declarations-details").open = Boolean(example.data_declarations);
  $("#source-example").disabled = example.programs.length === 0;
  $("#example-count").textContent = `(${example.programs.length} programs)`;
  if (example.programs.length) $("#source-example").checked = true;
  await showData();
}

function leaveExample() {
  // New data: the example's declarations and recorded programs no longer belong to the problem.
  if (!currentExample) return;
  if ($("#declarations-input").value.trim() === (currentExample.data_declarations || "").trim()) $("#declarations-input").value = "";
  currentExample = null;
  $("#source-example").disabled = true;
  $("#example-count").textContent = "";
  if ($("#source-example").checked) $("#source-llm").checked = true;
}

function dataField() {
  // The data as the API takes it: {data: {...}} for Stan JSON, {data_csv: "..."} for a table.
  const text = $("#data-text").value;
  if (!text.trim()) return { data: {} };
  if (text.trim().startsWith("{")) {
    try { return { data: JSON.parse(text) }; } catch (e) { throw new Error("the data look like JSON but do not parse: " + e.message); }
  }
  return { data_csv: text };
}

async function showData() {
  setError("#data-error", "");
  $("#data-preview").hidden = true;
  let preview;
  try {
    const field = dataField();
    const given = $("#declarations-input").value.trim();
    if (given) field.data_declarations = given;
    preview = await post("/api/data/preview", field);
  } catch (e) {
    setError("#data-error", e.message);
    return;
  }
  const table = element("table", null, "data");
  const head = table.createTHead().insertRow();
  for (const column of preview.columns) head.appendChild(element("th", column));
  const body = table.createTBody();
  for (const row of preview.rows) {
    const line = body.insertRow();
    for (const value of row) line.appendChild(element("td", JSON.stringify(value)));
  }
  const holder = $("#data-table");
  holder.replaceChildren();
  const scalars = Object.entries(preview.scalars).map(([k, v]) => `${k} = ${v}`).join(", ");
  if (scalars) holder.appendChild(element("p", scalars, "mono"));
  if (preview.columns.length) holder.appendChild(table);
  if (preview.n_rows > preview.rows.length) holder.appendChild(element("p", `… ${preview.n_rows} rows in all`, "help"));
  const given = $("#declarations-input").value.trim();
  $("#declarations-label").textContent = given
    ? "Data declarations given with the problem (what the LLM and the programs are told):"
    : "Declarations inferred from the data (what the LLM and the programs are told):";
  $("#declarations").textContent = given || preview.declarations;
  $("#data-preview").hidden = false;
}

async function readFile(input) {
  return input.files.length ? await input.files[0].text() : null;
}

async function startRun(event) {
  event.preventDefault();
  setError("#form-error", "");
  let request;
  try {
    request = { text: $("#text").value, goal: $("#goal").value, ...dataField(), seed: Number($("#seed").value || 0) };
  } catch (e) {
    setError("#form-error", e.message);
    return;
  }
  const declarations = $("#declarations-input").value.trim();
  if (declarations) request.data_declarations = declarations;
  if ($("#n-models").value) request.n_models = Number($("#n-models").value);
  const source = document.querySelector("input[name=source]:checked").value;
  if (source === "example" && currentExample) {
    request.programs = currentExample.programs;
    request.program_names = currentExample.program_names;
    request.name = currentExample.name;
  } else if (source === "files") {
    const files = Array.from($("#program-files").files);
    if (!files.length) { setError("#form-error", "choose one or more .stan files, or another source of programs"); return; }
    request.programs = await Promise.all(files.map((f) => f.text()));
    request.program_names = files.map((f) => f.name.replace(/\.stan$/, ""));
  } else {
    request.llm = {};
    if ($("#llm-model").value.trim()) request.llm.model = $("#llm-model").value.trim();
    if ($("#llm-url").value.trim()) request.llm.base_url = $("#llm-url").value.trim();
  }
  $("#start").disabled = true;  // one click, one run
  try {
    const { id } = await post("/api/runs", request);
    location.hash = "#/runs/" + id;
  } catch (e) {
    setError("#form-error", e.message);
  } finally {
    $("#start").disabled = false;
  }
}

// -- a run ------------------------------------------------------------------------------------
function renderRun(run) {
  $("#run-title").textContent = `Run ${run.id}`;
  $("#run-goal").textContent = "goal: " + run.goal;
  $("#run-state").textContent = run.state;
  $("#run-state").className = "state-" + run.state;
  $("#run-done").textContent = run.total ? `${run.done} of ${run.total}` : `${run.done}`;
  $("#run-rate").textContent = run.programs_per_second ? number(run.programs_per_second, 2) : "–";
  $("#run-left").textContent = run.seconds_left !== null && run.seconds_left !== undefined ? `${Math.round(run.seconds_left)} s` : "–";
  $("#run-ess").textContent = number(run.weights_ess, 1);
  const counts = $("#counts");
  counts.replaceChildren();
  for (const [status, count] of Object.entries(run.counts)) {
    counts.appendChild(element("span", `${status}: ${count}`, "count status-" + status));
  }
  setError("#run-error", run.error);

  const llb = (run.posterior || {}).llb || {};
  const answer = $("#answer");
  if (Object.keys(llb).length) {
    const table = element("table", null, "summary");
    const head = table.createTHead().insertRow();
    for (const name of ["", "mean", "sd", "5%", "50%", "95%"]) head.appendChild(element("th", name));
    const body = table.createTBody();
    for (const [name, row] of Object.entries(llb)) {
      const line = body.insertRow();
      line.appendChild(element("td", name, "mono"));
      for (const key of ["mean", "sd", "q05", "q50", "q95"]) line.appendChild(element("td", number(row[key])));
    }
    answer.replaceChildren(table);
  } else {
    answer.replaceChildren(element("p", "Appears when the first program has its evidence.", "help"));
  }
  $("#answer-title").textContent = run.state === "finished" ? "The answer (evidence-weighted)" : "The answer so far (evidence-weighted)";

  const body = $("#programs tbody");
  body.replaceChildren();
  for (const model of run.models) {
    const line = body.insertRow();
    line.className = "status-" + model.status;
    line.appendChild(element("td", model.id, "mono"));
    line.appendChild(element("td", model.status));
    line.appendChild(element("td", number(model.log_evidence, 2)));
    line.appendChild(element("td", number(model.weight, 3)));
    line.appendChild(element("td", model.reliability || ""));
    line.appendChild(element("td", model.reason || model.reparameterisation || "", "reason"));
  }
  const finished = run.state === "finished";
  $("#finished-links").hidden = !finished;
  if (finished) {
    const base = `/runs/${encodeURIComponent(run.id)}/files/`;
    $("#report-link").href = base + "report.html";
    $("#result-link").href = base + "result.json?download";
    $("#idata-link").href = base + "inference_data.nc?download";
    const frame = $("#report-frame");
    if (frame.dataset.run !== run.id) { frame.src = base + "report.html"; frame.dataset.run = run.id; }
  }
  $("#report-card").hidden = !finished;
}

async function openRun(id) {
  show("run-view");
  if (currentEvents) currentEvents.close();
  try {
    renderRun(await api("/api/runs/" + encodeURIComponent(id)));
  } catch (e) {
    setError("#run-error", e.message);
    return;
  }
  currentEvents = new EventSource("/api/runs/" + encodeURIComponent(id) + "/events");
  currentEvents.onmessage = (message) => {
    const run = JSON.parse(message.data);
    renderRun(run);
    if (run.state !== "running") currentEvents.close();
  };
}

// -- past runs --------------------------------------------------------------------------------
async function openRuns() {
  show("runs-view");
  const { runs } = await api("/api/runs");
  const body = $("#runs tbody");
  body.replaceChildren();
  for (const run of runs) {
    const line = body.insertRow();
    const cell = line.insertCell();
    const link = element("a", run.id, "mono");
    link.href = "#/runs/" + run.id;
    cell.appendChild(link);
    line.appendChild(element("td", run.state));
    line.appendChild(element("td", run.goal, "mono"));
    line.appendChild(element("td", run.total ? `${run.done} of ${run.total}` : `${run.done}`));
    line.appendChild(element("td", Math.round(run.seconds)));
  }
}

function route() {
  const hash = location.hash || "#/";
  if (currentEvents && !hash.startsWith("#/runs/")) { currentEvents.close(); currentEvents = null; }
  if (hash.startsWith("#/runs/")) {
    let id;
    try { id = decodeURIComponent(hash.slice(7)); } catch (e) { id = hash.slice(7); }
    return openRun(id);
  }
  if (hash === "#/runs") return openRuns().catch((e) => { show("form-view"); setError("#form-error", e.message); });
  show("form-view");
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  $("#use-example").addEventListener("click", () => useExample().catch((e) => setError("#form-error", e.message)));
  $("#show-data").addEventListener("click", showData);
  $("#data-text").addEventListener("input", leaveExample);
  $("#data-file").addEventListener("change", async () => {
    const text = await readFile($("#data-file"));
    if (text === null) return;
    leaveExample();
    $("#data-text").value = text;
    await showData();
  });
  $("#program-files").addEventListener("change", () => { $("#source-files").checked = true; });
  $("#problem-form").addEventListener("submit", startRun);
  loadExamples().catch((e) => setError("#form-error", e.message));
  route();
});
