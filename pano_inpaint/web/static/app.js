// The page: open panoramas, paint the mask on the 360 view, fill, follow progress, compare,
// download. All state that matters lives on the server; this keeps only what is on screen.
import { PanoViewer } from "./viewer.js";

const $ = (id) => document.getElementById(id);

const state = {
  info: null,
  images: {},        // id -> {info, jobs: [job, ...]}
  current: null,     // id of the image on screen
  tool: "look",
  brush: 30,
  edits: Promise.resolve(),  // mask edits are sent one after the other, in order
  maskVersion: -1,
};

const viewer = new PanoViewer($("viewer"));
const overlay = $("overlay");
const area = $("view-area");
window.pano = { viewer, state };  // for tests and the curious

// ------------------------------------------------------------------------------------ server

function errorText(data, response) {
  const detail = data && data.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return `${response.status} ${response.statusText}`;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const text = await response.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON */ }
  if (!response.ok) throw new Error(errorText(data, response));
  return data;
}

const post = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}),
});

function toast(message) {
  const box = $("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// Run an action; show its error instead of losing it.
async function guarded(action) {
  try { return await action(); } catch (error) { toast(error.message); return null; }
}

// ------------------------------------------------------------------------------------ opening

async function loadInfo() {
  state.info = await api("/api/info");
  $("folder-name").textContent = state.info.folder ? `folder: ${state.info.folder}` : "uploads only";
  const select = $("generator");
  for (const g of state.info.generators) {
    const option = new Option(g.name + (g.needs_torch ? " (torch)" : ""), g.name);
    select.add(option);
  }
  select.value = state.info.defaults.generator;
  $("dilate").value = state.info.defaults.dilate;
  // The server takes brushes of info.brush_radius only: the slider keeps to it.
  [$("brush").min, $("brush").max] = state.info.brush_radius;
  await showGenerator();
}

async function loadFiles() {
  const { files, masks } = await api("/api/files");
  state.files = files;
  renderFiles();
  // The masks 'pano-inpaint mask' wrote beside their images first: they are not panoramas.
  const select = $("mask-file");
  for (const f of [...masks, ...files]) select.add(new Option(f.path, f.path));
}

function renderFiles() {
  const filter = $("file-filter").value.toLowerCase();
  const list = $("files");
  list.replaceChildren();
  for (const f of state.files.filter((f) => f.path.toLowerCase().includes(filter))) {
    const item = document.createElement("li");
    item.textContent = f.path;
    item.title = `${(f.bytes / 2 ** 20).toFixed(1)} MB`;
    item.dataset.path = f.path;
    item.onclick = () => guarded(() => openFile(f.path));
    list.append(item);
  }
}

async function openFile(path) {
  toastless(`opening ${path}…`);
  const info = await post("/api/images", { path });
  await adopt(info);
}

function toastless(message) { $("view-state").textContent = message; }

async function adopt(info) {
  state.images[info.id] = state.images[info.id] || { info, jobs: [] };
  state.images[info.id].info = info;
  renderImages();
  await select(info.id);
}

async function upload(file, url) {
  if (file.size > state.info.max_upload_bytes) {
    throw new Error(`${file.name} is larger than the upload limit of ${(state.info.max_upload_bytes / 2 ** 20).toFixed(0)} MB`);
  }
  const form = new FormData();
  form.append("file", file);
  return api(url, { method: "POST", body: form });
}

function renderImages() {
  const list = $("images");
  list.replaceChildren();
  for (const [id, entry] of Object.entries(state.images)) {
    const item = document.createElement("li");
    item.textContent = entry.info.name;
    item.dataset.id = id;
    item.classList.toggle("current", id === state.current);
    const last = entry.jobs[entry.jobs.length - 1];
    if (last) {
      const badge = document.createElement("span");
      badge.className = `badge ${last.state}`;
      badge.textContent = last.state === "queued" && last.queue_position ? `queued (${last.queue_position} ahead)` : last.state;
      item.append(badge);
    }
    const close = document.createElement("button");
    close.className = "close";
    close.textContent = "×";
    close.title = "Close (its fills are forgotten; the file is untouched)";
    close.onclick = (event) => { event.stopPropagation(); guarded(() => closeImage(id)); };
    item.append(close);
    item.onclick = () => guarded(() => select(id));
    list.append(item);
  }
}

async function closeImage(id) {
  await api(`/api/images/${id}`, { method: "DELETE" });
  delete state.images[id];
  if (state.current === id) {
    state.current = null;
    const rest = Object.keys(state.images);
    if (rest.length) await select(rest[rest.length - 1]);
    else {
      viewer.clear();
      $("placeholder").hidden = false;
      $("result").hidden = true;
      $("progress").hidden = $("error").hidden = $("cancelled").hidden = true;
    }
  }
  renderImages();
}

async function select(id) {
  state.current = id;
  state.maskVersion = -1;
  const entry = state.images[id];
  $("placeholder").hidden = true;
  renderImages();
  await viewer.setImage(`/api/images/${id}/preview.jpg`);
  await refreshMask(entry.info.mask);
  $("nadir").value = entry.info.mask.nadir_degrees;
  $("nadir-value").textContent = `${entry.info.mask.nadir_degrees}°`;
  $("download-mask").href = `/api/images/${id}/mask.png`;
  await showJob(latestJob(entry));
  toastless(`${entry.info.name}: ${entry.info.width}×${entry.info.height} ${entry.info.format}${entry.info.hdr ? " HDR" : ""}`);
}

function latestJob(entry) { return entry.jobs[entry.jobs.length - 1] || null; }
const ended = (job) => ["done", "failed", "cancelled"].includes(job.state);

// ------------------------------------------------------------------------------------ mask

async function refreshMask(mask) {
  if (!state.current || !mask) return;
  const entry = state.images[state.current];
  entry.info.mask = mask;
  $("undo").disabled = !mask.can_undo;
  $("redo").disabled = !mask.can_redo;
  $("mask-state").textContent = mask.hole_pixels
    ? `hole: ${mask.hole_pixels.toLocaleString()} px, ${(100 * mask.hole_fraction).toFixed(2)}% of the sphere`
    : "no hole yet: paint one";
  if (mask.version !== state.maskVersion) {
    state.maskVersion = mask.version;
    await viewer.setMask(`/api/images/${state.current}/mask.png?preview=1&v=${mask.version}`);
  }
}

// Mask edits go to the server in order; the overlay shows the server's mask once applied.
function edit(path, body) {
  const id = state.current;
  if (!id) return Promise.resolve();
  state.edits = state.edits.then(() => guarded(async () => {
    const mask = await post(`/api/images/${id}/mask/${path}`, body);
    if (id === state.current) await refreshMask(mask);
  }));
  return state.edits;
}

function setTool(tool) {
  state.tool = tool;
  for (const b of document.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === tool);
  area.className = tool;
  drawOverlay(null);
}

let stroke = null;   // {points, view, erase} while painting
let drag = null;     // {x, y} while looking around or moving the split line
let cursor = null;   // last pointer position over the view

function pointerIn(event) {
  const rect = viewer.canvas.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

function drawOverlay(pointer) {
  const scale = window.devicePixelRatio || 1;
  overlay.width = Math.round(overlay.clientWidth * scale);
  overlay.height = Math.round(overlay.clientHeight * scale);
  const ctx = overlay.getContext("2d");
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  const r = state.brush;
  if (stroke) {
    ctx.strokeStyle = ctx.fillStyle = stroke.erase ? "rgba(80,160,255,0.5)" : "rgba(255,26,26,0.45)";
    ctx.lineWidth = 2 * r;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    const [first, ...rest] = stroke.points;
    if (rest.length === 0) {
      ctx.arc(first[0], first[1], r, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(first[0], first[1]);
      for (const p of rest) ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    }
  }
  if (pointer && state.tool !== "look") {
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "white";
    ctx.beginPath();
    ctx.arc(pointer[0], pointer[1], r, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

function looking(event) { return state.tool === "look" || event.button === 1 || spaceDown; }

area.addEventListener("pointerdown", (event) => {
  if (!state.current) return;
  area.setPointerCapture(event.pointerId);
  const p = pointerIn(event);
  if (looking(event)) {
    const onSplit = viewer.mode === 2 && Math.abs(p[0] - viewer.split * viewer.canvas.clientWidth) < 8;
    drag = { x: p[0], y: p[1], split: onSplit };
    area.classList.add("dragging");
    return;
  }
  if (event.button !== 0) return;
  stroke = { points: [p], view: viewer.viewParams(), erase: state.tool === "erase", radius: state.brush };
  drawOverlay(p);
});

area.addEventListener("pointermove", (event) => {
  const p = pointerIn(event);
  cursor = p;
  if (drag) {
    if (drag.split) {
      viewer.split = Math.min(1, Math.max(0, p[0] / viewer.canvas.clientWidth));
      viewer.render();
    } else {
      viewer.drag(p[0] - drag.x, p[1] - drag.y);
      showView();
    }
    drag.x = p[0];
    drag.y = p[1];
    return;
  }
  if (stroke && !stroke.sent) {
    const last = stroke.points[stroke.points.length - 1];
    // Points closer than a quarter brush add nothing visible but cost the server time.
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= Math.max(1, stroke.radius / 4)) stroke.points.push(p);
    // The server takes at most info.stroke_points points a request: a longer stroke goes in
    // pieces, each starting where the last one ended (one undo step each).
    if (stroke.points.length >= state.info.stroke_points) {
      const piece = stroke;
      stroke = { ...piece, points: [p] };
      sendStroke(piece);
    }
  }
  drawOverlay(p);
});

function sendStroke(done) {
  done.sent = true;
  edit("stroke", { view: done.view, points: done.points, radius: done.radius, erase: done.erase })
    .then(() => { if (stroke === done) { stroke = null; drawOverlay(cursor); } });
  state.lastStroke = done;
}

function endStroke(event) {
  if (drag) {
    drag = null;
    area.classList.remove("dragging");
    return;
  }
  if (!stroke || stroke.sent) return;
  const p = pointerIn(event);
  const last = stroke.points[stroke.points.length - 1];
  if (p[0] !== last[0] || p[1] !== last[1]) stroke.points.push(p);
  sendStroke(stroke);
  drawOverlay(cursor);
}

area.addEventListener("pointerup", endStroke);
area.addEventListener("pointercancel", endStroke);
area.addEventListener("pointerleave", () => { cursor = null; if (!stroke) drawOverlay(null); });

area.addEventListener("wheel", (event) => {
  event.preventDefault();
  if (stroke) return;  // a view change mid-stroke would move what is being painted
  viewer.setView({ fov: viewer.view.fov * Math.exp(event.deltaY * 0.001) });
  showView();
}, { passive: false });

function showView() {
  const v = viewer.view;
  toastless(`yaw ${v.yaw.toFixed(1)}°  pitch ${v.pitch.toFixed(1)}°  field of view ${v.fov.toFixed(0)}°`);
}

// ------------------------------------------------------------------------------------ fills

async function showGenerator() {
  const name = $("generator").value;
  const g = state.info.generators.find((x) => x.name === name);
  $("generator-summary").textContent = g ? g.summary : "";
  const box = $("params");
  box.replaceChildren();
  const { params } = await api(`/api/generators/${encodeURIComponent(name)}`);
  const defaults = name === state.info.defaults.generator ? state.info.defaults.params : {};
  for (const p of params) {
    const label = document.createElement("label");
    label.textContent = p.name;
    const input = document.createElement("input");
    input.name = p.name;
    input.dataset.kind = p.kind;
    const value = p.name in defaults ? defaults[p.name] : p.default;
    if (p.kind === "bool") { input.type = "checkbox"; input.checked = Boolean(value); }
    else { input.type = p.kind === "int" || p.kind === "float" ? "number" : "text";
           if (p.kind === "float") input.step = "any";
           input.value = value ?? ""; input.placeholder = value === null ? "auto" : "";
           if (p.choices) input.title = `one of: ${p.choices.join(", ")}`; }
    input.dataset.initial = p.kind === "bool" ? String(input.checked) : input.value;
    label.append(input);
    box.append(label);
  }
}

function fillSettings() {
  const params = {};
  for (const input of $("params").querySelectorAll("input")) {
    const now = input.type === "checkbox" ? String(input.checked) : input.value;
    if (now === input.dataset.initial || now === "") continue;  // only what was changed
    const kind = input.dataset.kind;
    params[input.name] = kind === "bool" ? input.checked
      : kind === "int" ? parseInt(now, 10) : kind === "float" ? Number(now) : now;
  }
  return { generator: $("generator").value, params, dilate: parseInt($("dilate").value || "0", 10) };
}

async function fill() {
  const id = state.current;
  if (!id) throw new Error("open a panorama first");
  await state.edits;  // the last stroke must be in the mask
  const job = await post(`/api/images/${id}/fills`, fillSettings());
  state.images[id].jobs.push(job);
  follow(job);
  renderImages();
  await showJob(job);
}

function updateJob(job) {
  const entry = state.images[job.image_id];
  if (!entry) return;
  const i = entry.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0 && ended(entry.jobs[i]) && !ended(job)) return;  // a late event: it has ended
  if (i >= 0) entry.jobs[i] = job; else entry.jobs.push(job);
  renderImages();
  if (job.image_id === state.current && latestJob(entry).id === job.id) guarded(() => showJob(job));
}

// Follow a job's progress with server-sent events (polling if the stream breaks).
function follow(job) {
  const source = new EventSource(`/api/fills/${job.id}/events`);
  const handle = (event) => {
    const data = JSON.parse(event.data);
    updateJob(data);
    if (ended(data)) source.close();
  };
  for (const kind of ["progress", "done", "failed", "cancelled"]) source.addEventListener(kind, handle);
  source.onerror = () => {
    source.close();
    const poll = async () => {
      const data = await guarded(() => api(`/api/fills/${job.id}`));
      if (data) updateJob(data);
      if (!data || !ended(data)) setTimeout(poll, 1000);
    };
    poll();
  };
}

let shownResult = null;

async function showJob(job) {
  const running = job && (job.state === "queued" || job.state === "running");
  $("progress").hidden = !running;
  $("cancelled").hidden = !(job && job.state === "cancelled");
  $("cancel-fill").disabled = !running || job.cancel_asked;
  $("error").hidden = !(job && job.state === "failed");
  if (job && job.state === "failed") $("error").textContent = `The fill failed: ${job.error}`;
  if (running) {
    $("progress-bar").value = job.fraction;
    $("progress-text").textContent = job.cancel_asked ? "cancelling…"
      : job.state === "queued"
        ? `queued${job.queue_position ? `, ${job.queue_position} fill(s) ahead` : ""}`
        : `${job.stage} (${Math.round(100 * job.fraction)}%)`;
  }
  const entry = state.images[state.current];
  const done = [...entry.jobs].reverse().find((j) => j.state === "done") || null;
  if (!done) {
    $("result").hidden = true;
    shownResult = null;
    await viewer.setAfter(null);
    markCompare();
    return;
  }
  if (shownResult === done.id) return;
  shownResult = done.id;
  await viewer.setAfter(`/api/fills/${done.id}/preview.jpg`);
  viewer.setMode(1);
  markCompare();
  renderResult(done);
  $("result").hidden = false;
}

function renderResult(job) {
  const labels = { result: `Download result (${job.result.files.result.split(".").pop()})`,
                   lossless: "Download lossless PNG", mask: "Download its mask",
                   report: "Download report (JSON)" };
  const box = $("downloads");
  box.replaceChildren();
  for (const kind of Object.keys(job.result.files)) {
    const a = document.createElement("a");
    a.className = "button";
    a.href = `/api/fills/${job.id}/files/${kind}`;
    a.download = job.result.files[kind];
    a.dataset.kind = kind;
    a.textContent = labels[kind] || kind;
    box.append(a);
  }
  const body = $("report").tBodies[0];
  body.replaceChildren();
  const report = job.result.report.consistency;
  for (const [name, check] of Object.entries(report.checks)) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    const value = row.insertCell();
    value.textContent = check.value === null ? "n/a" : check.value.toFixed(2);
    value.title = check.detail;
    row.insertCell().textContent = check.threshold.toFixed(2);
    const status = row.insertCell();
    status.textContent = check.flagged ? "FLAGGED" : "ok";
    status.className = check.flagged ? "flagged" : "";
  }
  $("report-notes").textContent = `${job.result.report.generator}, ${job.result.report.seconds.toFixed(1)} s. ${report.notes.join(" ")}`;
}

function markCompare() {
  for (const b of document.querySelectorAll("[data-mode]")) {
    b.disabled = !viewer.hasAfter;
    b.classList.toggle("active", viewer.hasAfter && Number(b.dataset.mode) === viewer.mode);
  }
}

// ------------------------------------------------------------------------------------ wiring

for (const b of document.querySelectorAll("[data-tool]")) b.onclick = () => setTool(b.dataset.tool);
for (const b of document.querySelectorAll("[data-mode]")) b.onclick = () => { viewer.setMode(Number(b.dataset.mode)); markCompare(); };
$("brush").oninput = () => { state.brush = Number($("brush").value); $("brush-value").textContent = state.brush; drawOverlay(cursor); };
$("undo").onclick = () => edit("undo");
$("redo").onclick = () => edit("redo");
$("clear-mask").onclick = () => edit("clear");
$("look-down").onclick = () => { viewer.setView({ pitch: -90 }); showView(); };
$("file-filter").oninput = renderFiles;
$("sample").onclick = () => guarded(async () => adopt(await post("/api/images/sample")));
$("generator").onchange = () => guarded(showGenerator);
$("fill").onclick = () => guarded(fill);
// A queued fill ends at once; a running one at its next step (its events then say so).
$("cancel-fill").onclick = () => guarded(async () => {
  const job = state.current && latestJob(state.images[state.current]);
  if (job && !ended(job)) updateJob(await post(`/api/fills/${job.id}/cancel`));
});
$("continue").onclick = () => guarded(async () => {
  if (shownResult) await adopt(await post(`/api/fills/${shownResult}/continue`));
});
$("nadir").oninput = () => {
  const degrees = Number($("nadir").value);
  $("nadir-value").textContent = `${degrees}°`;
  clearTimeout($("nadir").timer);
  $("nadir").timer = setTimeout(() => edit("cap", { pole: "nadir", degrees }), 60);
};
$("upload").onchange = () => guarded(async () => {
  const file = $("upload").files[0];
  $("upload").value = "";
  if (!file) return;
  toastless(`uploading ${file.name}…`);
  await adopt(await upload(file, "/api/images/upload"));
});
$("mask-file").onchange = () => {
  const path = $("mask-file").value;
  $("mask-file").value = "";
  if (path) edit("open", { path });
};
$("mask-upload").onchange = () => {
  const file = $("mask-upload").files[0];
  $("mask-upload").value = "";
  const id = state.current;
  if (!file || !id) return;
  state.edits = state.edits.then(() => guarded(async () => {
    const mask = await upload(file, `/api/images/${id}/mask/upload`);
    if (id === state.current) await refreshMask(mask);
  }));
};

let spaceDown = false;
window.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  if (key === " ") { spaceDown = true; event.preventDefault(); return; }
  if (key === "escape" && stroke) { stroke = null; drawOverlay(cursor); return; }  // cancel it
  if ((event.ctrlKey || event.metaKey) && key === "z") { edit(event.shiftKey ? "redo" : "undo"); event.preventDefault(); return; }
  if ((event.ctrlKey || event.metaKey) && key === "y") { edit("redo"); event.preventDefault(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    l: () => setTool("look"), b: () => setTool("paint"), e: () => setTool("erase"),
    d: () => $("look-down").click(),
    c: () => { viewer.setMode(viewer.mode === 1 ? 0 : 1); markCompare(); },
    "+": () => { viewer.setView({ fov: viewer.view.fov / 1.15 }); showView(); },
    "=": () => { viewer.setView({ fov: viewer.view.fov / 1.15 }); showView(); },
    "-": () => { viewer.setView({ fov: viewer.view.fov * 1.15 }); showView(); },
    "[": () => { $("brush").value = state.brush - 4; $("brush").oninput(); },
    "]": () => { $("brush").value = state.brush + 4; $("brush").oninput(); },
  };
  if (actions[key]) actions[key]();
});
window.addEventListener("keyup", (event) => { if (event.key === " ") spaceDown = false; });

async function start() {
  setTool("look");
  markCompare();
  await loadInfo();
  await loadFiles();
  // Images opened before a reload are still on the server.
  const { images } = await api("/api/images");
  for (const info of images) {
    state.images[info.id] = { info, jobs: [] };
    for (const jobId of info.fills) {
      const job = await api(`/api/fills/${jobId}`);
      state.images[info.id].jobs.push(job);
      if (job.state === "queued" || job.state === "running") follow(job);
    }
  }
  renderImages();
  if (images.length) await select(images[images.length - 1].id);
  document.body.dataset.ready = "true";
}

guarded(start);
