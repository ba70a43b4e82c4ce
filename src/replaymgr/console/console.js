// The tapedeck web console: talks only to replaymgr's REST API on the console's own origin
// (docs/api.md), polling once a second. The token the user types is kept in sessionStorage
// (this tab only) and sent as `Authorization: Bearer`; it never goes into a URL.
"use strict";

const TOKEN_KEY = "tapedeck.token";
const POLL_MS = 1000;
// The timeline counts the whole recording; it changes slowly, so it is read less often.
const TIMELINE_POLL_MS = 5000;
const MAX_EVENTS = 50;
// The selected session's stored events (GET /api/sessions/{id}/events) are read this often.
const EVENTS_POLL_MS = 2000;

const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  sessions: [],
  selectedId: null,
  selected: null, // the selected session object as the API last returned it
  timeline: null,
  verifications: [], // GET /api/verifications
  events: new Map(), // session id -> [{at, text}], newest last: what this page did and saw
  stored: new Map(), // session id -> [{time, kind, payload}], newest last: the API's events
  storedDue: 0,
  lastSeen: new Map(), // session id -> the session object seen at the previous poll
  rate: new Map(), // session id -> {at, applied, perSecond}: observed replay rate
};

// --- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "same-origin",
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const reason = json && json.error ? json.error : text || response.statusText;
    throw new ApiError(response.status, reason);
  }
  return json;
}

// --- times -----------------------------------------------------------------------------------

const parseTime = (text) => (text ? Date.parse(text) : NaN);

// ISO 8601 in UTC, to the second unless the moment has a fraction.
function isoUtc(ms) {
  const text = new Date(ms).toISOString();
  return text.endsWith(".000Z") ? text.slice(0, -5) + "Z" : text;
}

// The API's microsecond times, shortened for people: 2026-01-01 10:00:00.123Z.
function shortTime(text) {
  if (!text) return "—";
  return text.replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1Z");
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h} h ${m} min ${s} s`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

// --- login -----------------------------------------------------------------------------------

function showLogin(message) {
  $("login").hidden = false;
  $("console").hidden = true;
  $("logout").hidden = true;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function showConsole() {
  $("login").hidden = true;
  $("console").hidden = false;
  $("logout").hidden = !state.token;
}

// A request refused with 401 means the token is missing or wrong: ask for it.
function handleFailure(error, where) {
  if (error instanceof ApiError && error.status === 401) {
    showLogin(state.token ? "The token was refused." : "");
    return;
  }
  $("connection").textContent = `${where}: ${error.message}`;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.token = $("token").value.trim();
  try {
    await api("GET", "/api/recording");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showLogin("The token was refused.");
      return;
    }
  }
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $("token").value = "";
  showConsole();
  refreshAll();
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = "";
  showLogin("");
});

// --- the timeline ----------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
// The legend's colours (console.css); SVG attributes take no CSS variables under our CSP.
const COLOR = {
  ink: "#1d2330",
  line: "#d8dce3",
  statements: "#3b6fd8",
  rtus: "#e0922f",
  dead: "#d23b3b",
  backup: "#1f9d6b",
  verified: "rgba(31, 157, 107, 0.18)",
  session: "rgba(59, 111, 216, 0.12)",
};

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

function titled(element, text) {
  svg("title", {}, element).textContent = text;
  return element;
}

// The windows `tapedeck verify` proved (GET /api/verifications: each verdict's covers_from ..
// covers_until and its result).
function verifiedStretches() {
  return (state.verifications || [])
    .map((v) => ({ from: parseTime(v.covers_from), to: parseTime(v.covers_until), verdict: v.result }))
    .filter((v) => isFinite(v.from) && isFinite(v.to));
}

function drawTimeline() {
  const box = $("timeline");
  const timeline = state.timeline;
  box.replaceChildren();
  if (!timeline || !timeline.from) {
    box.textContent = "Nothing recorded yet.";
    return;
  }
  const from = parseTime(timeline.from);
  const to = parseTime(timeline.to);
  box.dataset.from = timeline.from;
  box.dataset.to = timeline.to;
  box.dataset.recordingEnd = timeline.recording.end || "";
  const width = Math.max(box.clientWidth, 200);
  const height = box.clientHeight || 150;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" }, box);
  const x = (ms) => ((ms - from) / (to - from)) * width;
  const buckets = timeline.buckets;
  const bucketWidth = width / buckets;
  const bucketMs = timeline.bucket_seconds * 1000;

  // Rows, top to bottom: statements (tallest), RTUS calls, dead letters; the axis below.
  const rows = { statements: [4, 70], rtus: [78, 22], dead: [104, 10], axis: 130 };
  for (const stretch of verifiedStretches()) {
    titled(
      svg("rect", {
        x: x(stretch.from), y: 0, width: Math.max(2, x(stretch.to) - x(stretch.from)),
        height: rows.axis, fill: COLOR.verified,
      }, root),
      `verified ${isoUtc(stretch.from)} .. ${isoUtc(stretch.to)}: ${stretch.verdict}`,
    );
  }
  if (state.selected) {
    const start = parseTime(state.selected.start);
    const end = state.selected.end ? parseTime(state.selected.end) : start;
    svg("rect", {
      x: x(start), y: 0, width: Math.max(2, x(end) - x(start)), height: rows.axis,
      fill: COLOR.session, stroke: COLOR.statements, "stroke-width": 1,
    }, root);
  }
  const bars = (counts, [top, tall], color, label) => {
    const most = Math.max(1, ...counts);
    counts.forEach((count, i) => {
      if (!count) return;
      const h = Math.max(1, (count / most) * tall);
      const at = from + i * bucketMs;
      titled(
        svg("rect", {
          x: i * bucketWidth, y: top + tall - h, width: Math.max(1, bucketWidth - 0.5),
          height: h, fill: color,
        }, root),
        `${count} ${label} ${isoUtc(at)} .. ${isoUtc(at + bucketMs)}`,
      );
    });
  };
  bars(timeline.statements, rows.statements, COLOR.statements, "statements");
  bars(timeline.rtus_calls, rows.rtus, COLOR.rtus, "RTUS calls");
  bars(timeline.dead_letters.map((n) => (n ? 1 : 0)), rows.dead, COLOR.dead, "bucket with dead letters");

  for (const backup of timeline.backups) {
    const at = parseTime(backup.at);
    if (!(at >= from && at <= to)) continue;
    const bx = x(at);
    const marker = svg("g", { "data-testid": "backup-marker" }, root);
    svg("line", { x1: bx, x2: bx, y1: 0, y2: rows.axis, stroke: COLOR.backup, "stroke-width": 1 }, marker);
    svg("path", { d: `M${bx - 5},${rows.axis} L${bx + 5},${rows.axis} L${bx},${rows.axis - 8} Z`, fill: COLOR.backup }, marker);
    titled(marker, `backup ${backup.id} at ${backup.at}`);
  }
  const end = parseTime(timeline.recording.end);
  if (isFinite(end)) {
    const ex = Math.min(width - 1, x(end));
    titled(
      svg("line", {
        x1: ex, x2: ex, y1: 0, y2: rows.axis, stroke: COLOR.ink, "stroke-width": 2,
        "stroke-dasharray": "4 3", "data-testid": "recording-end",
      }, root),
      `the recording ends at ${timeline.recording.end}`,
    );
  }
  if (state.selected && state.selected.playback_time) {
    const px = x(parseTime(state.selected.playback_time));
    svg("line", { x1: px, x2: px, y1: 0, y2: rows.axis, stroke: COLOR.statements, "stroke-width": 2 }, root);
  }
  svg("line", { x1: 0, x2: width, y1: rows.axis, y2: rows.axis, stroke: COLOR.line }, root);
  // A label is about 150 px wide.
  const ticks = Math.max(2, Math.floor(width / 260));
  for (let i = 0; i <= ticks; i++) {
    const at = from + ((to - from) * i) / ticks;
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    svg("text", { x: (width * i) / ticks, y: height - 6, "text-anchor": anchor, class: "axis" }, root)
      .textContent = shortTime(new Date(at).toISOString());
  }
}

function momentAt(event) {
  const box = $("timeline");
  if (!state.timeline || !state.timeline.from) return null;
  const rect = box.getBoundingClientRect();
  const from = parseTime(state.timeline.from);
  const to = parseTime(state.timeline.to);
  const fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
  // Whole seconds: what a person means by a point on a chart this wide.
  return Math.round((from + fraction * (to - from)) / 1000) * 1000;
}

$("timeline").addEventListener("mousemove", (event) => {
  const at = momentAt(event);
  $("pointer").textContent = at === null ? "" : isoUtc(at);
});

$("timeline").addEventListener("click", (event) => {
  const at = momentAt(event);
  if (at === null) return;
  const pick = document.querySelector('input[name="pick"]:checked').value;
  const target = { start: "create-start", end: "create-end", seek: "seek-input" }[pick];
  $(target).value = isoUtc(at);
});

// --- creating a session ----------------------------------------------------------------------

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("create-error").textContent = "";
  const body = { start: $("create-start").value.trim() };
  const end = $("create-end").value.trim();
  if (end) body.end = end;
  const speed = $("create-speed").value.trim();
  if (speed) body.speed = speed;
  const name = $("create-name").value.trim();
  if (name) body.name = name;
  try {
    const created = await api("POST", "/api/sessions", body);
    note(created.id, `created (${created.start} .. ${created.end || "open"}, speed ${created.speed})`);
    if (created.warning) note(created.id, "warning: " + created.warning);
    await refreshSessions();
    select(created.id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return handleFailure(error, "create");
    $("create-error").textContent = error.message;
  }
});

// --- the sessions list -----------------------------------------------------------------------

function note(id, text) {
  if (!state.events.has(id)) state.events.set(id, []);
  const list = state.events.get(id);
  list.push({ at: new Date().toISOString(), text });
  if (list.length > MAX_EVENTS) list.splice(0, list.length - MAX_EVENTS);
}

// What changed since the last poll, as events of the session.
function observe(session) {
  const before = state.lastSeen.get(session.id);
  state.lastSeen.set(session.id, session);
  if (!before) return;
  if (before.state !== session.state) note(session.id, `${before.state} → ${session.state}`);
  if (before.speed !== session.speed) note(session.id, `speed ${before.speed} → ${session.speed}`);
  if (session.error && before.error !== session.error) note(session.id, "error: " + session.error);
  if (before.waiting_for_recording !== session.waiting_for_recording) {
    note(session.id, session.waiting_for_recording ? "waiting for the recording" : "recording caught up");
  }
  const phase = session.progress && session.progress.phase;
  if (phase && (!before.progress || before.progress.phase !== phase)) note(session.id, "phase " + phase);
  // The replay rate this page observes, for an ETA when the API gives none.
  const now = Date.now();
  const seen = state.rate.get(session.id);
  if (seen && session.state === "playing" && now > seen.at) {
    const perSecond = ((session.statements_applied - seen.applied) * 1000) / (now - seen.at);
    seen.perSecond = seen.perSecond === undefined ? perSecond : 0.7 * seen.perSecond + 0.3 * perSecond;
    seen.at = now;
    seen.applied = session.statements_applied;
  } else {
    state.rate.set(session.id, { at: now, applied: session.statements_applied });
  }
}

function drawSessions() {
  const rows = state.sessions
    .slice()
    .reverse()
    .map((session) => {
      const row = document.createElement("tr");
      row.dataset.testid = "session-row";
      row.dataset.sessionId = session.id;
      row.dataset.state = session.state;
      if (session.id === state.selectedId) row.classList.add("selected");
      for (const text of [session.id, session.name, null, shortTime(session.start),
        shortTime(session.end), session.speed, shortTime(session.playback_time)]) {
        const cell = document.createElement("td");
        if (text === null) {
          const badge = document.createElement("span");
          badge.className = "state " + session.state;
          badge.textContent = session.state;
          cell.appendChild(badge);
        } else {
          cell.textContent = text;
        }
        row.appendChild(cell);
      }
      row.addEventListener("click", () => select(session.id));
      return row;
    });
  $("sessions").replaceChildren(...rows);
}

function select(id) {
  state.selectedId = id;
  state.storedDue = 0;
  state.selected = state.sessions.find((s) => s.id === id) || null;
  history.replaceState(null, "", id ? "#session=" + encodeURIComponent(id) : "#");
  drawSessions();
  drawSession();
  drawTimeline();
  refreshSelected().catch((error) => handleFailure(error, "session"));
}

// --- the session view ------------------------------------------------------------------------

// Which commands the session's state allows (docs/api.md); the others are disabled.
const ALLOWED = {
  start: ["ready"],
  pause: ["playing"],
  resume: ["paused"],
  step: ["paused"],
  seek: ["ready", "playing", "paused"],
  speed: ["ready", "playing", "paused"],
};

// `verified`: a passing `tapedeck verify` covers the session's start (docs/api.md).
function fidelityText(session) {
  return session.verified ? "verified: the recording at its start is proven by tapedeck verify" : "not verified";
}

// Seconds until the session reaches its end: the API's figure when it gives one, else from the
// playback time left at the session's speed, or (at max speed) from the replay rate observed.
function etaSeconds(session) {
  if (session.progress && session.progress.eta_seconds !== undefined) return session.progress.eta_seconds;
  if (!session.end || !session.playback_time) return null;
  if (session.state !== "playing") return null;
  const left = (parseTime(session.end) - parseTime(session.playback_time)) / 1000;
  if (session.speed !== "max") return left / Number(session.speed);
  const rate = state.rate.get(session.id);
  if (rate && rate.perSecond > 0) return session.statements_left / rate.perSecond;
  return null;
}

function percentDone(session) {
  if (session.progress && typeof session.progress.percent === "number") return session.progress.percent;
  if (!session.playback_time || !session.end) return session.state === "ended" ? 100 : 0;
  const start = parseTime(session.start);
  const span = parseTime(session.end) - start;
  if (span <= 0) return 100;
  return Math.min(100, Math.max(0, ((parseTime(session.playback_time) - start) / span) * 100));
}

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
}

function drawSession() {
  const session = state.selected;
  $("session-view").hidden = !session;
  if (!session) {
    $("pick-seek-label").hidden = true;
    return;
  }
  $("session-id").textContent = session.id;
  $("session-name").textContent = session.name ? `“${session.name}”` : "";
  const badge = $("session-state");
  badge.textContent = session.state;
  badge.className = "state " + session.state;
  $("session-window").textContent = `${shortTime(session.start)} .. ${session.end ? shortTime(session.end) : "(point in time)"}`;
  $("session-error").textContent = session.error || "";
  $("session-queue").textContent = session.queue
    ? `waiting for a restore: ${ordinal(session.queue.position)} in line, ${session.queue.restoring} restore(s) under way`
    : "";

  $("advanced-controls").hidden = false;
  $("pick-seek-label").hidden = false;
  for (const command of ["start", "pause", "resume", "step", "seek"]) {
    $(command).disabled = !ALLOWED[command].includes(session.state);
  }
  $("seek-input").disabled = $("seek").disabled;
  $("step-count").disabled = $("step").disabled;
  $("speed").disabled = !ALLOWED.speed.includes(session.state);
  $("end").disabled = session.state === "ended";
  if (document.activeElement !== $("speed")) {
    const speed = $("speed");
    if (![...speed.options].some((o) => o.value === session.speed)) {
      speed.appendChild(new Option(session.speed));
    }
    speed.value = session.speed;
  }

  const percent = percentDone(session);
  $("progress").value = percent;
  $("progress").dataset.percent = percent.toFixed(1);
  $("percent").textContent = percent.toFixed(1) + " %";
  $("playback-time").textContent = session.playback_time || "—";
  const eta = etaSeconds(session);
  $("eta").textContent = eta === null ? "—" : duration(eta);
  $("eta").dataset.seconds = eta === null ? "" : String(Math.round(eta));
  $("behind").textContent = session.behind_ms ? `${(session.behind_ms / 1000).toFixed(1)} s` : "on schedule";
  $("session-speed").textContent = session.speed;
  $("statements").textContent = `${session.statements_applied} applied, ${session.statements_left} left`;
  $("rtus-calls").textContent = `${session.rtus_calls_sent} sent, ${session.rtus_calls_left} left`;
  $("recorded-until").textContent =
    (session.recorded_until || "—") + (session.waiting_for_recording ? " (waiting for the recording)" : "");
  $("fidelity").textContent = fidelityText(session);
  $("database").textContent = session.database_name || "";

  // The session's events as published by replaymgr, dbop and msgop, newest first; the progress
  // events are left out (the progress bar shows them), so a long session keeps its commands.
  const stored = (state.stored.get(session.id) || []).slice().reverse();
  $("events").replaceChildren(
    ...stored.map((event) => {
      const item = document.createElement("li");
      item.dataset.testid = "event";
      item.dataset.kind = event.kind;
      const payload = event.payload && Object.keys(event.payload).length ? JSON.stringify(event.payload) : "";
      item.textContent = `${shortTime(event.time)}  ${event.kind}  ${payload}`;
      return item;
    }),
  );
  const notes = (state.events.get(session.id) || []).slice().reverse();
  $("page-notes").replaceChildren(
    ...notes.map((event) => {
      const item = document.createElement("li");
      item.textContent = `${shortTime(event.at)}  ${event.text}`;
      return item;
    }),
  );
}

async function command(name, body) {
  const id = state.selectedId;
  if (!id) return;
  $("command-error").textContent = "";
  try {
    const session = await api("POST", `/api/sessions/${encodeURIComponent(id)}/${name}`, body);
    note(id, name + (body ? " " + JSON.stringify(body) : ""));
    state.storedDue = 0; // the command's event: read it at the next poll
    if (session && session.warning) note(id, "warning: " + session.warning);
    if (session && session.id) {
      observe(session);
      state.sessions = state.sessions.map((s) => (s.id === id ? session : s));
      if (state.selectedId === id) state.selected = session;
    }
    drawSessions();
    drawSession();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return handleFailure(error, name);
    $("command-error").textContent = `${name}: ${error.message}`;
  }
}

$("start").addEventListener("click", () => command("start"));
$("pause").addEventListener("click", () => command("pause"));
$("resume").addEventListener("click", () => command("resume"));
$("end").addEventListener("click", () => command("end"));
$("step").addEventListener("click", () => command("step", { count: Number($("step-count").value) || 1 }));
$("seek").addEventListener("click", () => command("seek", { to: $("seek-input").value.trim() }));
$("speed").addEventListener("change", () => command("speed", { speed: $("speed").value }));

// --- polling ---------------------------------------------------------------------------------

async function refreshSessions() {
  const sessions = await api("GET", "/api/sessions");
  sessions.forEach(observe);
  state.sessions = sessions;
  if (state.selectedId) state.selected = sessions.find((s) => s.id === state.selectedId) || state.selected;
  drawSessions();
  drawSession();
}

async function refreshSelected() {
  if (!state.selectedId) return;
  const session = await api("GET", `/api/sessions/${encodeURIComponent(state.selectedId)}`);
  observe(session);
  state.selected = session;
  drawSession();
  await refreshStoredEvents();
}

// The selected session's stored events, every EVENTS_POLL_MS and right after a command.
async function refreshStoredEvents() {
  const id = state.selectedId;
  if (!id || Date.now() < state.storedDue) return;
  state.storedDue = Date.now() + EVENTS_POLL_MS;
  try {
    const answer = await api("GET", `/api/sessions/${encodeURIComponent(id)}/events?limit=${MAX_EVENTS}&progress=false`);
    state.stored.set(id, answer.events || []);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    // NATS unreachable (503): the session view stays up with the events last read.
  }
  if (state.selectedId === id) drawSession();
}

async function refreshTimeline() {
  const width = $("timeline").clientWidth || 600;
  const buckets = Math.max(20, Math.min(600, Math.floor(width / 4)));
  state.timeline = await api("GET", `/api/timeline?buckets=${buckets}`);
  state.verifications = await api("GET", "/api/verifications");
  showHeldRecording((await api("GET", "/api/recording")).held_transactions || []);
  const end = state.timeline.recording && state.timeline.recording.end;
  $("recording-summary").textContent = end
    ? `recording ${shortTime(state.timeline.recording.oldest)} .. ${shortTime(end)}`
    : "nothing recorded yet";
  drawTimeline();
}

// A transaction stored with messages missing stops the proven recording before it: say so,
// or a session waiting for the recording looks like a slow transform.
function showHeldRecording(held) {
  const box = $("recording-held");
  box.hidden = held.length === 0;
  box.textContent = held.length === 0 ? "" :
    `The recording is held before commit ${held[0]}` +
    (held.length > 1 ? ` and ${held.length - 1} more` : "") +
    ": a transaction was stored with messages missing; sessions past it wait until capture " +
    "stores them (tapedeck statements stats).";
}

let timelineDue = 0;
async function refreshAll() {
  if (!$("login").hidden) return;
  try {
    await refreshSessions();
    await refreshStoredEvents();
    if (Date.now() >= timelineDue) {
      timelineDue = Date.now() + TIMELINE_POLL_MS;
      await refreshTimeline();
    } else {
      drawTimeline(); // the open session's playback time moves every second
    }
    $("connection").textContent = "live · " + new Date().toISOString().slice(11, 19) + " UTC";
  } catch (error) {
    handleFailure(error, "update");
  }
}

window.addEventListener("resize", drawTimeline);

// With no token typed, the API may still answer: replaymgr.open, or an Authorization header
// the browser (or a proxy in front of it) sends by itself.
async function boot() {
  try {
    await api("GET", "/api/recording");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      state.token = "";
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin("");
      return;
    }
  }
  showConsole();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("session");
  await refreshAll();
  if (wanted) select(wanted);
}

setInterval(refreshAll, POLL_MS);
boot();
