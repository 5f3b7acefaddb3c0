// serve-model's page in a real browser (Debian's Chromium, driven by playwright-core): text
// streams in, Stop frees the server's stream, the sentiment colours are the API's, errors
// read as messages, and the page fits a phone. SERVE_MODEL names the binary; SCREENSHOTS, when
// set, is the folder the docs' pictures are written to.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const screenshots = process.env.SCREENSHOTS || mkdtempSync(path.join(tmpdir(), "charloom-page-"));
let server, base, browser;

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(process.env.SERVE_MODEL, ["--port", "0", "--threads", "1"], { stdio: ["ignore", "pipe", "inherit"] });
    server.on("error", reject);
    server.stdout.on("data", (data) => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(String(data));
      if (match) resolve(match[1]);
    });
  });
}

async function activeStreams() {
  const text = await (await fetch(base + "/metrics")).text();
  return Number(/charloom_active_streams\{model="shakespeare"\} (\S+)/.exec(text)[1]);
}

async function waitFor(condition, what, seconds = 10) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// score-sentiment's colours: red (0) through white (0.5) to green (1).
function colour(score) {
  const end = score < 0.5 ? [214, 39, 40] : [44, 160, 44];
  const amount = Math.min(1, Math.abs(score - 0.5) * 2);
  return "rgb(" + end.map((v) => Math.round(255 + (v - 255) * amount)).join(", ") + ")";
}

async function openPage(width = 1200, height = 800) {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(base + "/");
  await page.waitForFunction(() => document.getElementById("lm").options.length > 0);
  return page;
}

before(async () => {
  base = await startServer();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
});

test("text grows while streaming, and Stop ends the stream and frees it on the server", async () => {
  const page = await openPage();
  await page.fill("#length", "4000");
  await page.fill("#seed", "7");
  await page.click("#go");
  const length = () => page.evaluate(() => document.getElementById("output").textContent.length);
  await waitFor(async () => (await length()) > 60, "the first units");
  const first = await length();
  await waitFor(async () => (await length()) > first + 40, "more units");
  assert.equal(await activeStreams(), 1);
  await page.screenshot({ path: path.join(screenshots, "serve-page.png") });
  await page.click("#stop");
  await waitFor(async () => (await activeStreams()) === 0, "the server to free the stream", 5);
  const stopped = await length();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await length(), stopped, "no text after Stop");
  assert.match(await page.textContent("#gen-meta"), /stopped/);
  assert.equal(await page.isEnabled("#go"), true);
  await page.close();
});

test("each character's colour is the running score /v1/sentiment traces", async () => {
  const page = await openPage();
  const text = "slow at first , then wonderful";
  await page.fill("#text", text);
  await page.click("#score");
  await page.waitForFunction(() => document.querySelectorAll("#trace span").length > 0);
  const shown = await page.$$eval("#trace span", (spans) =>
    spans.map((s) => ({ text: s.textContent, background: getComputedStyle(s).backgroundColor })));
  const answer = await (await fetch(base + "/v1/sentiment", {
    method: "POST", body: JSON.stringify({ input: text, trace: true }),
  })).json();
  const result = answer.results[0];
  assert.equal(shown.length, result.units.length);
  assert.equal(shown.map((s) => s.text).join(""), text);
  shown.forEach((s, i) => assert.equal(s.background, colour(result.scores[i]), "unit " + i));
  assert.ok(new Set(shown.map((s) => s.background)).size > 5, "the colours vary along the text");
  assert.match(await page.textContent("#verdict"), new RegExp(result.label));
  await page.screenshot({ path: path.join(screenshots, "serve-sentiment.png") });
  await page.close();
});

test("an error from the server shows as its message", async () => {
  const page = await openPage();
  await page.fill("#length", "99999");
  await page.click("#go");
  await page.waitForFunction(() => document.getElementById("gen-error").textContent.length > 0);
  assert.match(await page.textContent("#gen-error"), /max_tokens must be from 1 to 4096, got 99999/);
  await page.close();
});

test("the page fits a phone's width and a desktop's", async () => {
  for (const [width, height] of [[390, 844], [1280, 800]]) {
    const page = await openPage(width, height);
    const layout = await page.evaluate(() => {
      const [a, b] = [...document.querySelectorAll("section")].map((s) => s.getBoundingClientRect());
      return { scroll: document.documentElement.scrollWidth, stacked: b.top >= a.bottom, right: Math.max(a.right, b.right) };
    });
    assert.ok(layout.scroll <= width, "no sideways scrolling at " + width + "px");
    assert.ok(layout.right <= width, "the panels fit at " + width + "px");
    assert.equal(layout.stacked, width < 700, "panels stack on a phone and sit side by side on a desktop");
    if (width < 700) await page.screenshot({ path: path.join(screenshots, "serve-phone.png"), fullPage: true });
    await page.close();
  }
});
