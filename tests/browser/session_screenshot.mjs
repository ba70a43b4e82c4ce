// Leaves a screenshot of one session's view in the web console: the demo's picture of it
// (scripts/demo.sh). The token comes from CONSOLE_TOKEN, never the command line.
//   CONSOLE_TOKEN=... node tests/browser/session_screenshot.mjs URL SESSION_ID OUT.png [STATES]
// With STATES (comma-separated, e.g. playing,paused,ended), waits until the
// session shows one of them (up to five minutes) before taking the picture.
import { launchChromium, logIn } from "./chromium.mjs";

const [url, id, out, states] = process.argv.slice(2);
if (!url || !id || !out) {
  console.error("usage: CONSOLE_TOKEN=... session_screenshot.mjs URL SESSION_ID OUT.png [STATES]");
  process.exit(2);
}
const browser = await launchChromium({ viewport: { width: 1280, height: 1000 } });
try {
  const page = await browser.context.newPage();
  await logIn(page, url, process.env.CONSOLE_TOKEN || "");
  const row = page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
  await row.click({ timeout: 30_000 });
  const shown = page.getByTestId("session-state");
  await shown.waitFor({ state: "visible" });
  if (states) {
    await page.waitForFunction(
      (wanted) => wanted.includes(document.querySelector('[data-testid="session-state"]').textContent),
      states.split(","),
      { timeout: 300_000 },
    );
  }
  // Two polls more: the progress, the ETA and the timeline's cursor settle.
  await page.waitForTimeout(2_000);
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
