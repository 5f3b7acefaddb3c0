// The page: a generation playground that streams from /v1/completions, and a sentiment panel
// that colours each character by /v1/sentiment's running score. No CDN, no build step.
#include "serve/page.hpp"

namespace charloom::serve {

namespace {

constexpr std::string_view page = R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charloom</title>
<style>
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{padding:12px 20px;background:#23272e;color:#eee}
header b{font-size:18px}header span{color:#aab;margin-left:10px;font-size:13px}
main{display:flex;flex-wrap:wrap;gap:16px;padding:16px}
section{flex:1 1 420px;min-width:0;background:#fff;border:1px solid #ddd;border-radius:8px;padding:14px}
h2{font-size:16px;margin:0 0 10px}
label{display:inline-flex;flex-direction:column;font-size:12px;color:#555;margin:0 8px 8px 0}
input,select,textarea,button{font:inherit}
input{width:80px;padding:4px}select{padding:4px}
textarea{width:100%;min-height:70px;padding:6px;resize:vertical}
button{padding:6px 14px;margin:6px 6px 6px 0;border:1px solid #888;border-radius:5px;background:#fff;cursor:pointer}
button.go{background:#2a6;color:#fff;border-color:#2a6}button:disabled{opacity:.5;cursor:default}
.out{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;font-size:14px;min-height:120px;
  border:1px solid #eee;border-radius:5px;padding:8px;margin-top:6px;background:#fcfcfb}
.prompt{color:#888}.meta{font-size:12px;color:#666;min-height:18px}
.error{color:#b00;font-size:13px;min-height:18px}
.score{font-size:22px;font-weight:600;margin:6px 0}
#trace span{padding:2px 0}
</style></head><body>
<header><b>charloom</b><span id="models">loading models...</span></header>
<main>
<section id="generate">
<h2>Generate</h2>
<textarea id="prompt" placeholder="A prompt, or nothing to start from a new line">ROMEO:</textarea>
<div>
<label>model<select id="lm"></select></label>
<label>temperature<input id="temperature" type="number" min="0" max="5" step="0.1" value="0.8"></label>
<label>top-k<input id="top_k" type="number" min="0" step="1" value="0"></label>
<label>top-p<input id="top_p" type="number" min="0.01" max="1" step="0.01" value="1"></label>
<label>length<input id="length" type="number" min="1" step="1" value="400"></label>
<label>seed<input id="seed" type="number" min="0" step="1" placeholder="random"></label>
</div>
<button id="go" class="go">Generate</button><button id="stop" disabled>Stop</button>
<div class="error" id="gen-error"></div>
<div class="out" id="output"></div>
<div class="meta" id="gen-meta"></div>
</section>
<section id="sentiment">
<h2>Sentiment</h2>
<textarea id="text" placeholder="Type or paste text">slow at first , then wonderful</textarea>
<div><label>model<select id="classifier"></select></label></div>
<button id="score" class="go">Score</button>
<div class="error" id="sent-error"></div>
<div class="score" id="verdict"></div>
<div class="out" id="trace"></div>
<div class="meta">Each character is coloured by P(positive) after it: red negative, white neutral, green positive.</div>
</section>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
let controller = null;

async function api(path, body, signal) {
  const res = await fetch(path, body === undefined ? {signal} :
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), signal});
  if (!res.ok) {
    let message = res.status + " " + res.statusText;
    try { message = (await res.json()).error.message; } catch (e) {}
    throw new Error(message);
  }
  return res;
}

// Red (0) through white (0.5) to green (1), as score-sentiment's trace page.
function colour(score) {
  const end = score < 0.5 ? [214, 39, 40] : [44, 160, 44];
  const amount = Math.min(1, Math.abs(score - 0.5) * 2);
  const c = end.map(v => Math.round(255 + (v - 255) * amount));
  return "rgb(" + c.join(",") + ")";
}

async function loadModels() {
  try {
    const list = (await (await api("/v1/models")).json()).data;
    $("models").textContent = list.map(m => m.id + " (" + m.kind + ")").join(", ");
    for (const m of list) {
      const option = new Option(m.id, m.id);
      (m.kind === "language-model" ? $("lm") : $("classifier")).add(option);
    }
  } catch (e) { $("models").textContent = "could not list models: " + e.message; }
}

function number(id) { const v = $(id).value.trim(); return v === "" ? undefined : Number(v); }

async function generate() {
  $("gen-error").textContent = "";
  const output = $("output");
  output.textContent = "";
  const prompt = $("prompt").value;
  const shown = document.createElement("span");
  shown.className = "prompt";
  shown.textContent = prompt;
  const grown = document.createTextNode("");
  output.append(shown, grown);
  const body = {model: $("lm").value, prompt, stream: true, temperature: number("temperature"),
                top_k: number("top_k"), top_p: number("top_p"), max_tokens: number("length"), seed: number("seed")};
  controller = new AbortController();
  $("go").disabled = true; $("stop").disabled = false;
  const started = performance.now();
  let units = 0, finish = "";
  try {
    const res = await api("/v1/completions", body, controller.signal);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const choice = chunk.choices[0];
        grown.appendData(choice.text);
        units += [...choice.text].length;
        if (choice.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) units = chunk.usage.completion_tokens;
        const seconds = (performance.now() - started) / 1000;
        $("gen-meta").textContent = units + " units, " + (units / seconds).toFixed(0) + " units/s" +
          (finish ? ", finished: " + finish : "") + ", seed " + chunk.seed;
      }
    }
  } catch (e) {
    if (e.name === "AbortError") $("gen-meta").textContent += " (stopped)";
    else $("gen-error").textContent = e.message;
  } finally {
    controller = null;
    $("go").disabled = false; $("stop").disabled = true;
  }
}

async function score() {
  $("sent-error").textContent = "";
  try {
    const res = await api("/v1/sentiment", {model: $("classifier").value, input: $("text").value, trace: true});
    const result = (await res.json()).results[0];
    $("verdict").textContent = result.label + " " + result.score.toFixed(3);
    $("verdict").style.color = colour(result.score < 0.5 ? 0 : 1);
    const trace = $("trace");
    trace.textContent = "";
    result.units.forEach((unit, i) => {
      const span = document.createElement("span");
      span.textContent = unit;
      span.style.background = colour(result.scores[i]);
      span.title = result.scores[i].toFixed(3);
      span.dataset.score = result.scores[i];
      trace.append(span);
    });
  } catch (e) { $("sent-error").textContent = e.message; }
}

$("go").onclick = generate;
$("stop").onclick = () => controller && controller.abort();
$("score").onclick = score;
loadModels();
</script>
</body></html>
)PAGE";

}  // namespace

std::string_view page_html() { return page; }

}  // namespace charloom::serve
