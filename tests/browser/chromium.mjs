// Debian's headless Chromium through playwright-core (which bundles no browser). The flags keep
// it off the network: on a machine without internet access Chromium otherwise hangs on
// look-ups (updates, sync, QUIC probes). Each launch gets a fresh profile folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function playwright() {
  try {
    return require("playwright-core");
  } catch {
    throw new Error(
      "playwright-core is not installed in tests/browser: run scripts/install-deps.sh " +
        "(it runs `npm ci` there from the committed package-lock.json)",
    );
  }
}

// A browser context on a fresh profile (playwright passes it as --user-data-dir), and a
// function that closes the browser and removes the profile. `options`: playwright's context
// options (viewport, extraHTTPHeaders).
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "tapedeck-chromium-"));
  const context = await playwright().chromium.launchPersistentContext(profile, {
    ...options,
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Opens the console at `url` and logs in with `token` through its password field.
export async function logIn(page, url, token) {
  await page.goto(url);
  await page.getByTestId("token").fill(token);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("timeline").waitFor({ state: "visible" });
}
