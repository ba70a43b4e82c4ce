// The web console (src/replaymgr/console) in headless Chromium against the local stack: a real
// `tapedeck run` records a workload with a backup in the middle; the test logs in with the
// token, creates a session by picking moments on the timeline, waits for it to be ready,
// starts, pauses, steps, seeks back and forth and changes speed,
// watches the ETA move, resumes and ends it, and checks the page shows what the API says.
// A failed step saves a screenshot under the build folder (BROWSER_TEST_ARTIFACTS). The test's
// own variables are not named TAPEDECK_*: tapedeck refuses unknown variables of that prefix.
//
// Run by ctest (tests/CMakeLists.txt), or by hand with the stack up:
//   eval "$(./run stack env)"; node tests/browser/replaymgr/console_test.mjs
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, logIn } from "../chromium.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.BROWSER_TEST_BINARY || join(root, "build/tapedeck");
const artifacts = process.env.BROWSER_TEST_ARTIFACTS || join(root, "build/browser-tests");
const suffix = randomBytes(4).toString("hex");
const token = randomBytes(16).toString("hex");
const names = {
  live: `browser_live_${suffix}`,
  store: `browser_store_${suffix}`,
  slot: `browser_${suffix}`,
  sessionPrefix: `browser_${suffix}_`,
};

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: start the stack and eval "$(./run stack env)" first`);
    process.exit(1);
  }
  return value;
}
const server = required("TAPEDECK_LIVE_DSN").replace(/ dbname=\S+$/, "");
const liveDsn = `${server} dbname=${names.live}`;

// --- helpers ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function eventually(what, check, timeoutMs = 30_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    }
    await sleep(everyMs);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function psql(dsn, sql) {
  return execFileSync("psql", [dsn, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    encoding: "utf8",
  }).trim();
}
const admin = (sql) => psql(`${server} dbname=postgres`, sql);

function portBinds(port) {
  return new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => done(true)));
  });
}

// A free port outside the kernel's ephemeral range: ports in it go to every outgoing connection
// and port-0 bind of the tests running in parallel, and could be taken before the process
// started here binds it (as tests/support/free_port.hpp does for the C++ tests).
async function freePort() {
  let [low, high] = [32768, 60999];
  try {
    [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  } catch {
    // not Linux: keep the usual range
  }
  const below = Math.max(low - 10000, 0);
  const above = Math.max(65535 - high, 0);
  for (let attempt = 0; attempt < 200 && below + above > 0; attempt++) {
    const n = Math.floor(Math.random() * (below + above));
    const port = n < below ? 10000 + n : high + 1 + (n - below);
    if (await portBinds(port)) return port;
  }
  throw new Error("no free loopback port outside the ephemeral range");
}

function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(killer);
      done();
    });
    child.kill("SIGTERM");
  });
}

const iso = (ms) => new Date(ms).toISOString();

// --- the recording ---------------------------------------------------------------------------

const folder = mkdtempSync(join(tmpdir(), "tapedeck-browser-"));
let nats;
let run;
let apiUrl;
let consoleUrl;
let runEnv;

async function startRecording() {
  admin(`CREATE DATABASE ${names.live}`);
  admin(`CREATE DATABASE ${names.store}`);
  // Named with their schema: the stack user's own schema comes first in search_path.
  psql(liveDsn, "CREATE TABLE public.items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, " +
    "note text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())");

  // A NATS of its own: the EVENTS subjects are fixed (tapedeck.session.>) and would overlap
  // other suites' streams on the shared server.
  const natsPort = await freePort();
  nats = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(natsPort), "-sd", join(folder, "nats")], {
    stdio: ["ignore", openSync(join(folder, "nats.log"), "a"), openSync(join(folder, "nats.log"), "a")],
  });
  const apiPort = await freePort();
  const consolePort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  consoleUrl = `http://127.0.0.1:${consolePort}/`;
  runEnv = {
    ...process.env,
    TAPEDECK_LIVE_DSN: liveDsn,
    TAPEDECK_STORE_DSN: `${server} dbname=${names.store}`,
    TAPEDECK_PLAYBACK_DATABASE_TEMPLATE: `${names.sessionPrefix}<id>`,
    TAPEDECK_STORAGE_URL: `file://${folder}/snapshots`,
    TAPEDECK_NATS_URL: `nats://127.0.0.1:${natsPort}`,
    TAPEDECK_NATS_CDC_STREAM: `BROWSER_CDC_${suffix}`,
    TAPEDECK_NATS_CDC_PREFIX: `browser${suffix}`,
    TAPEDECK_NATS_EVENTS_STREAM: `BROWSER_EVENTS_${suffix}`,
    TAPEDECK_CAPTURE_SLOT_NAME: names.slot,
    TAPEDECK_CAPTURE_PUBLICATION: names.slot,
    TAPEDECK_TRANSFORM_DURABLE: names.slot,
    TAPEDECK_DBOP_WORK_DIR: folder,
    TAPEDECK_REPLAYMGR_LISTEN: `127.0.0.1:${apiPort}`,
    TAPEDECK_REPLAYMGR_URL: apiUrl,
    TAPEDECK_REPLAYMGR_CONSOLE_LISTEN: `127.0.0.1:${consolePort}`,
    TAPEDECK_REPLAYMGR_API_TOKEN: token,
    TAPEDECK_CAPTURE_LISTEN: `127.0.0.1:${await freePort()}`,
    TAPEDECK_TRANSFORM_LISTEN: `127.0.0.1:${await freePort()}`,
    TAPEDECK_TIMEKEEPER_LISTEN: `127.0.0.1:${await freePort()}`,
    TAPEDECK_SCHEDULER_LISTEN: `127.0.0.1:${await freePort()}`,
    TAPEDECK_DBOP_LISTEN: `127.0.0.1:${await freePort()}`,
    TAPEDECK_MSGOP_LISTEN: `127.0.0.1:${await freePort()}`,
    // Backups only when the test takes one.
    TAPEDECK_SCHEDULER_BACKUP_CRON: "0 0 1 1 *",
    TAPEDECK_LOG_LEVEL: "info",
  };
  const log = openSync(join(folder, "run.log"), "a");
  run = spawn(binary, ["run"], { env: runEnv, stdio: ["ignore", log, log] });

  await eventually("replaymgr to answer", async () => (await api("GET", "/api/sessions")).ok, 60_000);
  // A change committed before capture streams its slot is in no recording. A new slot is active
  // while it waits for running transactions to end; it has a confirmed LSN once it streams.
  await eventually(
    "capture to stream its slot",
    () => admin(`SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${names.slot}' AND active ` +
      "AND confirmed_flush_lsn IS NOT NULL") === "1",
    60_000,
  );
}

// `count` transactions, one every `everyMs`.
function workload(count, everyMs) {
  const script = Array.from({ length: count }, (_, i) =>
    `INSERT INTO public.items (note) VALUES ('change ${i}'); SELECT pg_sleep(${everyMs / 1000});`).join("\n");
  execFileSync("psql", [liveDsn, "-X", "-q", "-v", "ON_ERROR_STOP=1"], { input: script, stdio: ["pipe", "ignore", "inherit"] });
}

async function waitForTheRecording() {
  const written = psql(liveDsn, "SELECT pg_current_wal_lsn()");
  await eventually(
    "the recording to store every change",
    () => admin(`SELECT coalesce(bool_or(confirmed_flush_lsn >= '${written}'), false) FROM pg_replication_slots ` +
      `WHERE slot_name = '${names.slot}'`) === "t",
    180_000,
    500,
  );
}

async function api(method, path, body) {
  const response = await fetch(apiUrl + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ok: response.ok, status: response.status, body: await response.json().catch(() => null) };
}

async function cleanUp() {
  await stopProcess(run);
  await stopProcess(nats);
  try {
    admin(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${names.slot}'`);
    const databases = admin(`SELECT datname FROM pg_database WHERE datname IN ('${names.live}', '${names.store}') ` +
      `OR starts_with(datname, '${names.sessionPrefix}')`);
    for (const database of databases.split("\n").filter(Boolean)) {
      admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  } catch (error) {
    console.error("clean-up:", error.message);
  }
}

// --- the steps -------------------------------------------------------------------------------

let page;
let failedStep = null;

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failedStep = name;
    console.log(`FAIL ${name}: ${error.message}`);
    if (page) {
      mkdirSync(artifacts, { recursive: true });
      const file = join(artifacts, `console-${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      writeFileSync(file.replace(/\.png$/, ".txt"), await page.locator("body").innerText().catch(() => ""));
      console.log(`     screenshot: ${file}`);
    }
    throw error;
  }
}

const text = (testId) => page.getByTestId(testId).innerText();

// Whether the page's session view shows what the API says about the session now.
async function pageMatchesApi(id) {
  const shown = (await api("GET", `/api/sessions/${id}`)).body;
  const state = await text("session-state");
  const playback = await text("playback-time");
  const statements = await text("statements");
  return state === shown.state &&
    playback === (shown.playback_time || "—") &&
    statements.startsWith(`${shown.statements_applied} applied, ${shown.statements_left} left`) &&
    (await text("rtus-calls")).startsWith(`${shown.rtus_calls_sent} sent`);
}

async function waitForState(id, states, timeoutMs = 30_000) {
  const wanted = [].concat(states);
  try {
    await eventually(`session-state ${wanted.join("|")}`, async () => wanted.includes(await text("session-state")), timeoutMs);
  } catch (error) {
    const shown = (await api("GET", `/api/sessions/${id}`)).body;
    throw new Error(`${error.message}; the page shows ${await text("session-state")}, the API says ` +
      `${shown.state}${shown.error ? ` (${shown.error})` : ""}`);
  }
  const shown = (await api("GET", `/api/sessions/${id}`)).body;
  expect(wanted.includes(shown.state), `the page shows ${wanted} but the API says ${shown.state}`);
  return shown;
}

async function etaSeconds() {
  const value = await page.getByTestId("eta").getAttribute("data-seconds");
  return value === "" || value === null ? null : Number(value);
}

async function pickOnTimeline(moment) {
  const timeline = page.getByTestId("timeline");
  const from = Date.parse(await timeline.getAttribute("data-from"));
  const to = Date.parse(await timeline.getAttribute("data-to"));
  const box = await timeline.boundingBox();
  const x = ((moment - from) / (to - from)) * box.width;
  await timeline.click({ position: { x, y: box.height / 3 } });
}

async function main() {
  await step("record a workload with a backup in it", async () => {
    await startRecording();
    workload(20, 100);
    execFileSync(binary, ["backup", "run"], { env: runEnv, stdio: ["ignore", "ignore", "pipe"] });
    await sleep(1500);
    workload(120, 250); // about 30 s of changes after the backup
    await sleep(1500);
    await waitForTheRecording();
  });

  const browser = await launchChromium({ viewport: { width: 1280, height: 1000 } });
  try {
    page = await browser.context.newPage();
    page.on("pageerror", (error) => console.log("page error:", error.message));

    await step("asks for the token and logs in with it", async () => {
      await page.goto(consoleUrl);
      await page.getByTestId("token").waitFor({ state: "visible" });
      expect(await page.getByTestId("timeline").isHidden(), "the console shows before the token");
      await page.getByTestId("token").fill("wrong-" + token);
      await page.getByTestId("login-submit").click();
      await eventually("the refusal", async () => (await text("login-error")).includes("refused"));
      await logIn(page, consoleUrl, token);
    });

    const backups = (await api("GET", "/api/snapshots")).body;
    const backupAt = Date.parse(backups[0].system_time || backups[0].created_at);
    const start = backupAt + 8_000;
    const end = start + 16_000;

    await step("shows the recording on the timeline with its backup and end", async () => {
      await eventually("a backup marker", async () => (await page.getByTestId("backup-marker").count()) === 1, 15_000);
      const timeline = (await api("GET", "/api/timeline")).body;
      expect(timeline.statements.reduce((a, b) => a + b, 0) >= 140, `timeline counts ${timeline.statements}`);
      await eventually("the recording's end", async () =>
        Date.parse(await page.getByTestId("timeline").getAttribute("data-recording-end")) >= end, 15_000);
    });

    let id;
    await step("creates a session by picking its start and end on the timeline", async () => {
      await pickOnTimeline(start);
      await page.getByTestId("pick-end").check();
      await pickOnTimeline(end);
      const picked = {
        start: Date.parse(await page.getByTestId("create-start").inputValue()),
        end: Date.parse(await page.getByTestId("create-end").inputValue()),
      };
      expect(Math.abs(picked.start - start) < 3000, `picked start ${iso(picked.start)}, wanted ${iso(start)}`);
      expect(Math.abs(picked.end - end) < 3000, `picked end ${iso(picked.end)}, wanted ${iso(end)}`);
      await page.getByTestId("create-speed").fill("1");
      await page.getByTestId("create-submit").click();
      const row = page.getByTestId("session-row").first();
      await row.waitFor({ state: "visible", timeout: 15_000 });
      id = await row.getAttribute("data-session-id");
      const created = (await api("GET", `/api/sessions/${id}`)).body;
      expect(Date.parse(created.start) === picked.start, `the API has start ${created.start}`);
      await row.click();
      await eventually("the session view", async () => (await text("session-id")) === id);
    });

    await step("sees it reach ready, as the API says", async () => {
      await waitForState(id, "ready", 180_000);
      await eventually("the page to match the API", () => pageMatchesApi(id), 10_000);
      expect(await page.getByTestId("start").isEnabled(), "start is disabled when ready");
      expect(await page.getByTestId("pause").isDisabled(), "pause is enabled when ready");
      expect((await text("fidelity")).length > 0, "no fidelity shown");
    });

    await step("starts it and watches the ETA move", async () => {
      await page.getByTestId("start").click();
      await waitForState(id, "playing");
      const first = await eventually("an ETA", etaSeconds, 15_000);
      await eventually("the ETA to move", async () => {
        const now = await etaSeconds();
        return now !== null && now < first;
      }, 15_000);
      await eventually("progress in playback time", async () =>
        Number(await page.getByTestId("progress").getAttribute("data-percent")) > 0, 15_000);
    });

    await step("pauses it and shows the API's playback time and counts", async () => {
      await page.getByTestId("pause").click();
      await waitForState(id, "paused");
      await eventually("the page to match the API", () => pageMatchesApi(id), 10_000);
      expect(await page.getByTestId("resume").isEnabled(), "resume is disabled when paused");
      // The session's stored events (GET /api/sessions/{id}/events), newest first: pause, then start.
      const kinds = async () => page.getByTestId("event").evaluateAll((items) => items.map((i) => i.dataset.kind));
      await eventually("the start and pause events", async () => {
        const shown = await kinds();
        return shown.includes("pause") && shown.includes("start") && shown.indexOf("pause") < shown.indexOf("start");
      }, 15_000);
      const stored = (await api("GET", `/api/sessions/${id}/events?limit=50`)).body.events.map((e) => e.kind);
      expect(stored.includes("init") && stored.lastIndexOf("pause") > stored.lastIndexOf("start"),
        `the API's events: ${stored.join(", ")}`);
    });

    await step("steps one transaction forward", async () => {
      const before = (await api("GET", `/api/sessions/${id}`)).body;
      await page.getByTestId("step-count").fill("1");
      await page.getByTestId("step").click();
      await eventually("the step", async () => {
        const after = (await api("GET", `/api/sessions/${id}`)).body;
        return after.statements_applied > before.statements_applied && after.state === "paused";
      }, 30_000);
      await eventually("the page to match the API", () => pageMatchesApi(id), 10_000);
    });
    for (const [label, target] of [["backward", start + 3_000], ["forward", start + 12_000]]) {
      await step(`seeks ${label} to a picked moment`, async () => {
        await page.getByTestId("pick-seek").check();
        await pickOnTimeline(target);
        await page.getByTestId("seek-input").fill(iso(target));
        await page.getByTestId("seek").click();
        await eventually(`playback time ${iso(target)}`, async () => {
          const shown = (await api("GET", `/api/sessions/${id}`)).body;
          return shown.state !== "seeking" && Math.abs(Date.parse(shown.playback_time) - target) <= 1000;
        }, 120_000, 500);
        await eventually("the page to match the API", () => pageMatchesApi(id), 10_000);
      });
    }
    await step("changes the speed", async () => {
      await page.getByTestId("speed").selectOption("2");
      await eventually("speed 2", async () => (await api("GET", `/api/sessions/${id}`)).body.speed === "2");
      await eventually("the page's speed", async () => (await text("session-speed")) === "2");
    });

    await step("resumes it", async () => {
      await page.getByTestId("resume").click();
      await waitForState(id, "playing");
    });

    await step("asks nothing of a browser that sends the Authorization header itself", async () => {
      // A new tab: its sessionStorage holds no token.
      const tab = await browser.context.newPage();
      try {
        await tab.setExtraHTTPHeaders({ Authorization: `Bearer ${token}` });
        await tab.goto(consoleUrl);
        await tab.locator(`[data-testid="session-row"][data-session-id="${id}"]`).waitFor({ state: "visible" });
        expect(await tab.getByTestId("token").isHidden(), "the token was asked for");
      } finally {
        await tab.close();
      }
    });

    await step("ends it", async () => {
      await page.getByTestId("end").click();
      await waitForState(id, "ended");
      expect(await page.getByTestId("end").isDisabled(), "end is enabled once ended");
      const row = page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
      await eventually("the list's state", async () => (await row.getAttribute("data-state")) === "ended");
      expect((await text("page-notes")).includes("playing → paused"), "the page's notes miss the pause");
    });

    // Last: a hold stops the recording's proof for every session.
    await step("says when the recording is held before an incomplete transaction", async () => {
      const store = `${server} dbname=${names.store}`;
      psql(store, `INSERT INTO tapedeck.watermark_holds (name, commit_lsn, missing) ` +
        `VALUES ('${runEnv.TAPEDECK_NATS_CDC_STREAM}', 'FFFF/0', '{[2,3)}')`);
      await eventually("the held notice", async () =>
        (await page.getByTestId("recording-held").isVisible()) &&
        (await text("recording-held")).includes("held before commit FFFF/0"), 30_000);
      psql(store, "DELETE FROM tapedeck.watermark_holds");
      await eventually("the notice to go", async () => !(await page.getByTestId("recording-held").isVisible()), 30_000);
    });
  } finally {
    await browser.close();
  }
}

let status = 0;
try {
  await main();
  console.log("console browser test: passed");
} catch (error) {
  status = 1;
  console.log(`console browser test: failed at "${failedStep}"; tapedeck run's log: ${join(artifacts, "run.log")}`);
  if (!failedStep) console.log(error.stack);
} finally {
  await cleanUp();
  if (status) {
    mkdirSync(artifacts, { recursive: true });
    try {
      execFileSync("cp", [join(folder, "run.log"), join(artifacts, "run.log")]);
    } catch {}
  }
  rmSync(folder, { recursive: true, force: true });
}
process.exit(status);
