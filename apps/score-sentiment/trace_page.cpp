// Rendering sentiment traces, as in the sentiment-neuron paper's pictures.
#include "score-sentiment/trace_page.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "common/cli.hpp"

namespace charloom {
namespace {

// Escaped for HTML, and valid UTF-8 whatever the model's units (a byte model's lone bytes
// become U+FFFD).
std::string escape_html(const std::string& raw) {
  const std::string text = cli::valid_utf8(raw);
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "&#8629;";
        break;  // ↵, so line breaks stay visible and in place
      default:
        out += c;
    }
  }
  return out;
}

// Red (0) through white (0.5) to green (1).
std::string colour(double score) {
  const double negative[3] = {214, 39, 40}, positive[3] = {44, 160, 44};
  const double* end = score < 0.5 ? negative : positive;
  const double amount = std::min(1.0, std::abs(score - 0.5) * 2.0);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "rgb(%d,%d,%d)", static_cast<int>(std::lround(255 + (end[0] - 255) * amount)),
                static_cast<int>(std::lround(255 + (end[1] - 255) * amount)),
                static_cast<int>(std::lround(255 + (end[2] - 255) * amount)));
  return buffer;
}

}  // namespace

std::string trace_html(const std::vector<TracedText>& texts, const std::string& model_name) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>charloom sentiment trace</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
      ".text{font-family:monospace;font-size:16px;line-height:1.9;margin:0 0 1.2em;white-space:pre-wrap}"
      ".text span{padding:2px 0}.meta{color:#555;font-size:13px}</style></head><body>\n"
      "<h1>Sentiment trace</h1>\n<p class=\"meta\">Model " +
      escape_html(model_name) +
      ". Each character is coloured by P(positive) after it: red is negative, white neutral, green positive.</p>\n";
  for (const TracedText& text : texts) {
    const double final_score = text.scores.empty() ? 0.5 : text.scores.back();
    char header[96];
    std::snprintf(header, sizeof header, "line %zu: P(positive) = %.3f", text.line, final_score);
    page += "<p class=\"meta\">" + std::string(header) + "</p>\n<div class=\"text\">";
    for (std::size_t i = 0; i < text.units.size(); ++i) {
      char score[16];
      std::snprintf(score, sizeof score, "%.3f", text.scores[i]);
      page += "<span style=\"background:" + colour(text.scores[i]) + "\" title=\"" + score + "\">" +
              escape_html(text.units[i]) + "</span>";
    }
    page += "</div>\n";
  }
  page += "</body></html>\n";
  return page;
}

std::string trace_jsonl(const std::vector<TracedText>& texts) {
  std::string out;
  for (const TracedText& text : texts)
    out += cli::json_text(nlohmann::ordered_json{{"line", text.line}, {"units", text.units}, {"scores", text.scores}}) +
           "\n";
  return out;
}

}  // namespace charloom
