// The evaluation's result (the JSON of protocol.h) as a self-contained HTML page with tables and SVG plots, and as
// plain text for the terminal. Rendering reads only that JSON, so the page, the text and `--json` always agree, and
// it adds nothing time-dependent: the same result gives the same bytes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace audiorium::eval {

// Plots as standalone SVG documents. A plot whose data is missing (no labels, no styles) draws a short message
// instead, so the page says what it could not show.
std::string homogeneity_svg(const nlohmann::json& result);  // share of majors per system, baseline line
std::string tradeoff_svg(const nlohmann::json& result);     // precision@k against ILD across τ and λ
std::string lorenz_svg(const nlohmann::json& result);       // exposure Lorenz curves per system

std::string html_report(const nlohmann::json& result);  // the SVGs inline; no external resources
std::string text_summary(const nlohmann::json& result);

// Writes index.html, homogeneity.svg, tradeoff.svg, lorenz.svg and report.json into `dir` (created if needed).
// Returns the files written. Throws Error when a file cannot be written.
std::vector<std::filesystem::path> write_report(const nlohmann::json& result, const std::filesystem::path& dir);

// &, <, >, " and ' escaped for HTML text and attributes.
std::string html_escape(const std::string& text);

}  // namespace audiorium::eval
