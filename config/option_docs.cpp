// option-docs: writes, or checks, the files made from the option rows
// (config/option_rows.cpp) and the named CAF options (config/caf_options.cpp):
//   config/user-service.ini, config/order-service.ini   commented, every default
//   deploy/k8s/<service>.yaml                            the ConfigMap's copy of the ini
//   README.md                                            the settings table between markers
//
//   option-docs --check SOURCE_DIR   exit 1, naming each file that differs (ctest option_docs)
//   option-docs --write SOURCE_DIR   rewrite them (cmake --build build --target update-option-docs)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/caf_options.hpp"
#include "config/option_table.hpp"

namespace {

using namespace svc;
using namespace svc::config_detail;
namespace fs = std::filesystem;

constexpr std::string_view regenerate = "cmake --build build --target update-option-docs";
constexpr std::string_view readme_begin =
  "<!-- BEGIN option table: generated from config/option_rows.cpp by config/option_docs.cpp -->\n";
constexpr std::string_view readme_end = "<!-- END option table -->\n";

std::vector<std::string_view> doc_lines(std::string_view doc) {
  std::vector<std::string_view> lines;
  while (!doc.empty()) {
    auto nl = doc.find('\n');
    lines.push_back(doc.substr(0, nl));
    doc.remove_prefix(nl == std::string_view::npos ? doc.size() : nl + 1);
  }
  return lines;
}

std::string ini_value(const option_spec& o, const settings& defaults) {
  auto text = o.render(defaults);
  if (!o.quoted_in_ini())
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' || c == '\\' ? std::string{'\\', c} : std::string{c};
  return quoted + "\"";
}

// `doc` as comment lines, `suffix` after its last line, then `key = value`,
// itself commented out when `left_out`.
void ini_entry(std::string& out, std::string_view doc, std::string_view suffix,
               std::string_view key, const std::string& value, bool left_out) {
  auto lines = doc_lines(doc);
  for (std::size_t i = 0; i < lines.size(); ++i)
    out.append("; ").append(lines[i]).append(i + 1 == lines.size() ? suffix : "").append("\n");
  out.append(left_out ? "; " : "").append(key).append(" = ").append(value).append("\n");
}

std::string ini_file(std::string_view service) {
  const auto defaults = default_settings(service);
  std::string bare_ms;
  for (const auto& o : option_table())
    if (o.kind == kind::duration && o.unit == std::chrono::milliseconds{1})
      bare_ms += std::string{bare_ms.empty() ? "" : " and "} + "[" + std::string{o.group} + "] " +
                 std::string{o.key};
  std::string out;
  out.append("; ").append(service).append(
    " configuration, CAF config format. Copy it to caf-application.ini\n");
  out +=
    "; in the service's working directory, or pass --config-file=PATH.\n"
    "; Every value below is the built-in default. Precedence, lowest to highest:\n"
    ";   default < this file < .env < environment variable < command-line flag\n"
    "; Durations take a unit (500ms, 30s, 2min, 1h); a bare number counts seconds,\n"
    "; except " +
    bare_ms +
    " (milliseconds).\n"
    "; Strings go in double quotes. A bad or misspelt key or value stops start-up\n"
    "; (exit code 2); see --help. Generated from config/option_rows.cpp:\n"
    "; " +
    std::string{regenerate} + " rewrites it.\n";
  std::vector<std::string_view> groups;
  auto add_group = [&](std::string_view g) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end())
      groups.push_back(g);
  };
  for (const auto& o : option_table())
    add_group(o.group);
  for (const auto& c : caf_option_table())
    if (!c.services_default.empty())
      add_group(c.group);
  const bool user_service = service == "user-service";
  for (auto group : groups) {
    bool left_out = false;
    for (const auto& o : option_table())
      if (o.group == group)
        left_out = user_service && o.order_service_only;
    out.append("\n");
    if (left_out)
      out.append("; [").append(group).append("]: used by order-service only, left out here\n");
    else
      out.append("[").append(group).append("]\n");
    for (const auto& o : option_table())
      if (o.group == group)
        ini_entry(out, o.doc.empty() ? o.meaning : o.doc, " (" + std::string{o.env} + ")", o.key,
                  ini_value(o, defaults), left_out);
    for (const auto& c : caf_option_table())
      if (c.group == group && !c.services_default.empty())
        ini_entry(out, c.doc, "", c.key, std::string{c.services_default}, false);
  }
  return out;
}

std::string code(std::string_view text) {
  std::string out{"`"};  // (not "`" + string: a false -Wrestrict of GCC 12)
  return out.append(text).append("`");
}

// Text for a table cell: no HTML tags, no column breaks.
std::string markdown(std::string_view text) {
  std::string out;
  for (char c : text)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '|' ? "\\|" : std::string{c};
  return out;
}

std::string readme_table() {
  const auto user = default_settings("user-service");
  const auto order = default_settings("order-service");
  std::string out{readme_begin};
  out +=
    "\n| environment variable | flag, and `[group] key` in the ini file | default | meaning |\n"
    "|---|---|---|---|\n";
  for (const auto& o : option_table()) {
    auto shown = [](const std::string& v) { return v.empty() ? std::string{"empty"} : code(v); };
    auto u = o.render(user);
    auto d = o.render(order);
    auto fallback = u == d ? shown(u)
                           : shown(u) + " (user-service), " + shown(d) + " (order-service)";
    auto meaning = markdown(o.meaning);
    if (o.secret)
      meaning += "; or `" + std::string{o.env} + "_FILE`, a file holding it";
    out.append("| ")
      .append(code(o.env))
      .append(" | ")
      .append(code(o.flag()))
      .append(", `[")
      .append(o.group);
    out.append("] ")
      .append(o.key)
      .append("` | ")
      .append(fallback)
      .append(" | ")
      .append(meaning)
      .append(" |\n");
  }
  out +=
    "\nCAF's own options passed through to CAF (the ini file and flags only, no\n"
    "environment variable; type-checked against CAF's declarations):";
  for (const auto& c : caf_option_table()) {
    out += (&c == &caf_option_table().front() ? " " : ", ") + code("--" + c.name());
    if (!c.services_default.empty())
      out += " (" + code(c.services_default) + ")";
  }
  out += ". Any other key is refused.\n\n";
  out += readme_end;
  return out;
}

// `yaml` with its ConfigMap's `caf-application.ini: |` block replaced by `ini`.
std::string k8s_manifest(const std::string& yaml, const std::string& ini) {
  const std::string key = "\n  caf-application.ini: |\n";
  auto start = yaml.find(key);
  if (start == std::string::npos)
    return yaml;  // deploy_k8s reports the missing key
  start += key.size();
  auto end = yaml.find("\n---", start);
  end = end == std::string::npos ? yaml.size() : end + 1;
  std::string block;
  for (auto line : doc_lines(ini))
    block += line.empty() ? "\n" : "    " + std::string{line} + "\n";
  // Keep the blank lines that close the block before the next document.
  auto rest = yaml.substr(start, end - start);
  auto kept = rest.size();
  while (kept > 0 && rest[kept - 1] == '\n')
    --kept;
  auto trailing_blank = rest.size() - kept;
  return yaml.substr(0, start) + block +
         std::string(trailing_blank > 1 ? trailing_blank - 1 : 0, '\n') + yaml.substr(end);
}

std::string readme(const std::string& text) {
  auto begin = text.find(readme_begin);
  auto end = text.find(readme_end);
  if (begin == std::string::npos || end == std::string::npos || end < begin)
    return text + "\n" + readme_table();  // no markers yet: --check fails, --write appends
  return text.substr(0, begin) + readme_table() + text.substr(end + readme_end.size());
}

std::string read(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc == 3 ? argv[1] : "";
  if (mode != "--check" && mode != "--write") {
    std::cerr << "usage: option-docs --check|--write SOURCE_DIR\n";
    return 2;
  }
  const fs::path root = argv[2];
  struct generated {
    fs::path path;
    std::string content;
  };
  std::vector<generated> files;
  for (std::string service : {"user-service", "order-service"}) {
    auto ini = ini_file(service);
    files.push_back({root / "config" / (service + ".ini"), ini});
    auto manifest = root / "deploy" / "k8s" / (service + ".yaml");
    files.push_back({manifest, k8s_manifest(read(manifest), ini)});
  }
  files.push_back({root / "README.md", readme(read(root / "README.md"))});

  int differing = 0;
  for (const auto& [path, content] : files) {
    if (read(path) == content)
      continue;
    ++differing;
    if (mode == "--write") {
      std::ofstream{path, std::ios::binary | std::ios::trunc} << content;
      std::cout << "rewrote " << path.string() << "\n";
    } else {
      std::cout << path.string()
                << " differs from the option rows (config/option_rows.cpp); run: " << regenerate
                << "\n";
    }
  }
  return mode == "--check" && differing > 0 ? 1 : 0;
}
