// RTUS call messages: JSON in and out, RFC 3339 times.
#include "core/rtus_call.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace tapedeck {
namespace {

[[noreturn]] void invalid(const std::string& reason) {
  throw Error(ErrorSource::input, Recovery::invalid, "RTUS call: " + reason);
}

constexpr std::string_view kMethods[] = {"GET",    "POST", "PUT",    "PATCH",
                                         "DELETE", "HEAD", "OPTIONS"};

int digits(std::string_view text, std::size_t at, std::size_t count, std::string_view whole) {
  if (at + count > text.size()) invalid(fmt::format("time \"{}\" is cut short", whole));
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      invalid(fmt::format("time \"{}\" has a non-digit at {}", whole, i));
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

void expect(std::string_view text, std::size_t at, std::string_view chars, std::string_view whole) {
  if (at >= text.size() || chars.find(text[at]) == std::string_view::npos) {
    invalid(fmt::format("time \"{}\" is not RFC 3339 (expected one of \"{}\" at {})", whole, chars,
                        at));
  }
}

const std::string& string_field(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end()) invalid(fmt::format("field \"{}\" is missing", name));
  if (!found->is_string()) {
    invalid(fmt::format("field \"{}\" must be a string, not {}", name, found->type_name()));
  }
  return found->get_ref<const std::string&>();
}

}  // namespace

std::string format_rfc3339_micros(std::int64_t time_us) {
  using namespace std::chrono;
  const sys_time<microseconds> time{microseconds(time_us)};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

std::int64_t parse_rfc3339_micros(std::string_view text) {
  using namespace std::chrono;
  const int y = digits(text, 0, 4, text);
  expect(text, 4, "-", text);
  const int mo = digits(text, 5, 2, text);
  expect(text, 7, "-", text);
  const int d = digits(text, 8, 2, text);
  expect(text, 10, "Tt ", text);
  const int h = digits(text, 11, 2, text);
  expect(text, 13, ":", text);
  const int mi = digits(text, 14, 2, text);
  expect(text, 16, ":", text);
  const int s = digits(text, 17, 2, text);
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - start < 6) micros = micros * 10 + (text[at] - '0');
      ++at;
    }
    if (at == start) invalid(fmt::format("time \"{}\" has an empty fraction", text));
    for (std::size_t n = std::min<std::size_t>(at - start, 6); n < 6; ++n) micros *= 10;
  }
  std::int64_t offset_minutes = 0;
  expect(text, at, "Zz+-", text);
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else {
    const int sign = text[at] == '-' ? -1 : 1;
    const int oh = digits(text, at + 1, 2, text);
    expect(text, at + 3, ":", text);
    const int om = digits(text, at + 4, 2, text);
    if (oh > 23 || om > 59) invalid(fmt::format("time \"{}\" has a bad offset", text));
    offset_minutes = sign * (oh * 60 + om);
    at += 6;
  }
  if (at != text.size()) invalid(fmt::format("time \"{}\" has trailing text", text));
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)),
                            day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) {
    invalid(fmt::format("time \"{}\" is not a valid date and time", text));
  }
  const auto since_epoch = sys_days(date).time_since_epoch() + hours(h) + minutes(mi) + seconds(s) -
                           minutes(offset_minutes);
  return duration_cast<microseconds>(since_epoch).count() + micros;
}

std::string to_json(const RtusCall& call) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!call.id.empty()) out["id"] = call.id;
  out["time"] = format_rfc3339_micros(call.time_us);
  out["method"] = call.method;
  out["path"] = call.path;
  auto headers = nlohmann::ordered_json::object();
  for (const auto& [key, value] : call.headers) headers[key] = value;
  out["headers"] = std::move(headers);
  out["body"] = call.body;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RtusCall parse_rtus_call(std::string_view json) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json);
  } catch (const nlohmann::json::parse_error& error) {
    invalid(fmt::format("malformed JSON: {}", error.what()));
  }
  if (!doc.is_object())
    invalid(fmt::format("the message must be an object, not {}", doc.type_name()));
  RtusCall call;
  if (const auto id = doc.find("id"); id != doc.end() && !id->is_null()) {
    if (!id->is_string()) invalid("field \"id\" must be a string");
    call.id = id->get<std::string>();
  }
  call.time_us = parse_rfc3339_micros(string_field(doc, "time"));
  call.method = string_field(doc, "method");
  if (std::find(std::begin(kMethods), std::end(kMethods), call.method) == std::end(kMethods)) {
    invalid(fmt::format("unknown method \"{}\"", call.method.substr(0, 20)));
  }
  call.path = string_field(doc, "path");
  if (call.path.empty() || call.path.front() != '/') {
    invalid(fmt::format("path \"{}\" must start with \"/\"", call.path.substr(0, 100)));
  }
  if (const auto headers = doc.find("headers"); headers != doc.end() && !headers->is_null()) {
    if (!headers->is_object()) invalid("field \"headers\" must be an object of strings");
    for (const auto& [key, value] : headers->items()) {
      if (!value.is_string()) {
        invalid(fmt::format("header \"{}\" must be a string, not {}", key.substr(0, 100),
                            value.type_name()));
      }
      call.headers.emplace_back(key, value.get<std::string>());
    }
  }
  if (const auto body = doc.find("body"); body != doc.end() && !body->is_null()) {
    if (!body->is_string()) invalid("field \"body\" must be a string");
    call.body = body->get<std::string>();
  }
  // PostgreSQL text cannot hold a NUL byte.
  const auto has_nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };
  bool nul = has_nul(call.id) || has_nul(call.path) || has_nul(call.body);
  for (const auto& [key, value] : call.headers) nul = nul || has_nul(key) || has_nul(value);
  if (nul) invalid("a text field holds a NUL character, which PostgreSQL text cannot store");
  return call;
}

}  // namespace tapedeck
