// Appends the capture session settings to a libpq connection string.
#include "capture/session_options.hpp"

#include <fmt/format.h>

#include <cctype>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/money_locale.hpp"

namespace tapedeck::capture {

namespace {

Error malformed(std::string_view why) {
  return Error(ErrorSource::config, Recovery::invalid,
               fmt::format("live.dsn cannot be parsed ({}); write it as key=value pairs or as a "
                           "postgresql:// URI",
                           why));
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// key=value pairs as libpq's conninfo_parse reads them: values bare or single-quoted, with
// backslash escapes in both.
std::vector<std::pair<std::string, std::string>> parse_key_values(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  while (true) {
    skip_spaces();
    if (i >= text.size()) break;
    std::string key;
    while (i < text.size() && text[i] != '=' && !is_space(text[i])) key.push_back(text[i++]);
    skip_spaces();
    if (i >= text.size() || text[i] != '=') throw malformed("a keyword without '='");
    ++i;
    skip_spaces();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value.push_back(text[i + 1]);
          i += 2;
        } else if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        } else {
          value.push_back(text[i++]);
        }
      }
      if (!closed) throw malformed("an unterminated quoted value");
    } else {
      while (i < text.size() && !is_space(text[i])) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
    }
    pairs.emplace_back(std::move(key), std::move(value));
  }
  return pairs;
}

void append_quoted(std::string& out, std::string_view value) {
  out.push_back('\'');
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

std::string merged_options(std::string_view existing) {
  std::string merged(existing);
  if (!merged.empty()) merged.push_back(' ');
  merged.append(kReplicationSessionOptions);
  merged.push_back(' ');
  merged.append(kMoneyLocaleOption);  // pgoutput writes money in the walsender's locale
  return merged;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) throw malformed("a bad %-escape in the URI");
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string with_uri_options(std::string_view uri) {
  const std::size_t question = uri.find('?');
  if (question == std::string_view::npos) {
    return fmt::format("{}?options={}", uri, percent_encode(merged_options({})));
  }
  std::string out(uri.substr(0, question + 1));
  std::string_view query = uri.substr(question + 1);
  bool found = false;
  bool first = true;
  while (true) {
    const std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    if (!param.empty()) {
      if (!first) out.push_back('&');
      first = false;
      if (param.starts_with("options=")) {
        found = true;
        out += "options=" + percent_encode(merged_options(percent_decode(param.substr(8))));
      } else {
        out.append(param);
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (!found) {
    if (!first) out.push_back('&');
    out += "options=" + percent_encode(merged_options({}));
  }
  return out;
}

}  // namespace

std::string with_session_options(std::string_view dsn) {
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://")) {
    return with_uri_options(dsn);
  }
  auto pairs = parse_key_values(dsn);
  bool found = false;
  for (auto& [key, value] : pairs) {
    if (key == "options") {
      value = merged_options(value);
      found = true;
    }
  }
  if (!found) pairs.emplace_back("options", merged_options({}));
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out.push_back(' ');
    out += key;
    out.push_back('=');
    append_quoted(out, value);
  }
  return out;
}

}  // namespace tapedeck::capture
