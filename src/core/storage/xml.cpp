// A small, strict-enough XML reader for the fixed shapes of S3 responses.
#include "core/storage/xml.hpp"

#include <cstdint>
#include <cstdlib>

namespace tapedeck::storage::xml {

namespace {

bool name_ends(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  }
}

}  // namespace

std::vector<std::string_view> elements(std::string_view document, std::string_view tag) {
  std::vector<std::string_view> found;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  std::size_t at = 0;
  while ((at = document.find(open, at)) != std::string_view::npos) {
    const std::size_t after_name = at + open.size();
    if (after_name >= document.size() || !name_ends(document[after_name])) {
      at = after_name;  // a longer name with this prefix, e.g. <KeyCount> when looking for <Key>
      continue;
    }
    const std::size_t open_end = document.find('>', after_name);
    if (open_end == std::string_view::npos) break;
    if (document[open_end - 1] == '/') {  // <tag/>
      found.emplace_back();
      at = open_end + 1;
      continue;
    }
    const std::size_t close_at = document.find(close, open_end + 1);
    if (close_at == std::string_view::npos) break;
    found.push_back(document.substr(open_end + 1, close_at - open_end - 1));
    at = close_at + close.size();
  }
  return found;
}

std::optional<std::string> text(std::string_view document, std::string_view tag) {
  const auto found = elements(document, tag);
  if (found.empty()) return std::nullopt;
  return decode(found.front());
}

std::string decode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    if (raw.substr(i).starts_with("<![CDATA[")) {
      const std::size_t end = raw.find("]]>", i + 9);
      const std::size_t stop = end == std::string_view::npos ? raw.size() : end;
      out.append(raw.substr(i + 9, stop - i - 9));
      i = end == std::string_view::npos ? raw.size() : end + 3;
      continue;
    }
    if (raw[i] != '&') {
      out.push_back(raw[i++]);
      continue;
    }
    const std::size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back(raw[i++]);
      continue;
    }
    const std::string_view entity = raw.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      const unsigned long code = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || code > 0x10ffff) {
        out.append(raw.substr(i, semi - i + 1));  // not a reference: keep it as it is
      } else {
        append_utf8(out, static_cast<std::uint32_t>(code));
      }
    } else {
      out.append(raw.substr(i, semi - i + 1));
    }
    i = semi + 1;
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
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
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace tapedeck::storage::xml
