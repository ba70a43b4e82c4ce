// Parsing, validating, formatting and querying pg_snapshot values.
#include "core/txid_snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "core/error.hpp"

namespace tapedeck {

namespace {

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("transaction snapshot '{}': {}; expected 'xmin:xmax:xip1,xip2,...' "
                          "as pg_current_snapshot() prints it",
                          text, why));
}

std::optional<std::uint64_t> parse_xid(std::string_view token) {
  std::uint64_t value = 0;
  if (token.empty() || !std::isdigit(static_cast<unsigned char>(token.front()))) return {};
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc{} || end != token.data() + token.size()) return {};
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string format(Xid xmin, Xid xmax, const std::vector<Xid>& in_progress) {
  std::string text = fmt::format("{}:{}:", xmin.value, xmax.value);
  for (std::size_t i = 0; i < in_progress.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(in_progress[i].value);
  }
  return text;
}

// What makes (xmin, xmax, sorted in-progress list) not a snapshot, if anything.
std::optional<std::string> problem(Xid xmin, Xid xmax, const std::vector<Xid>& in_progress) {
  if (xmin.value == 0) return "xmin 0 is not a valid transaction id";
  if (xmax < xmin) return fmt::format("xmax {} is less than xmin {}", xmax.value, xmin.value);
  for (const Xid xid : in_progress) {
    if (xid < xmin || xid >= xmax) {
      return fmt::format("in-progress xid {} is outside [xmin {}, xmax {})", xid.value, xmin.value,
                         xmax.value);
    }
  }
  return std::nullopt;
}

}  // namespace

TxidSnapshot::TxidSnapshot(Xid xmin, Xid xmax, std::vector<Xid> in_progress)
    : xmin_(xmin), xmax_(xmax), in_progress_(std::move(in_progress)) {
  std::sort(in_progress_.begin(), in_progress_.end());
  in_progress_.erase(std::unique(in_progress_.begin(), in_progress_.end()), in_progress_.end());
  if (auto why = problem(xmin_, xmax_, in_progress_)) {
    invalid(format(xmin_, xmax_, in_progress_), *why);
  }
}

TxidSnapshot TxidSnapshot::parse(std::string_view original) {
  const std::string_view text = trim(original);
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) invalid(original, "missing ':' separators");
  const auto xmin = parse_xid(text.substr(0, first));
  if (!xmin) invalid(original, fmt::format("xmin '{}' is not an xid", text.substr(0, first)));
  const std::string_view xmax_text = text.substr(first + 1, second - first - 1);
  const auto xmax = parse_xid(xmax_text);
  if (!xmax) invalid(original, fmt::format("xmax '{}' is not an xid", xmax_text));

  std::vector<Xid> in_progress;
  const std::string_view list = text.substr(second + 1);
  for (std::size_t begin = 0; !list.empty();) {
    const std::size_t comma = list.find(',', begin);
    const std::string_view token =
        list.substr(begin, comma == std::string_view::npos ? comma : comma - begin);
    const auto xid = parse_xid(token);
    if (!xid) invalid(original, fmt::format("in-progress xid '{}' is not an xid", token));
    if (!in_progress.empty() && Xid{*xid} < in_progress.back()) {
      invalid(original, "in-progress xids are not in ascending order");
    }
    in_progress.push_back(Xid{*xid});
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  in_progress.erase(std::unique(in_progress.begin(), in_progress.end()), in_progress.end());
  if (auto why = problem(Xid{*xmin}, Xid{*xmax}, in_progress)) invalid(original, *why);
  TxidSnapshot snapshot;
  snapshot.xmin_ = Xid{*xmin};
  snapshot.xmax_ = Xid{*xmax};
  snapshot.in_progress_ = std::move(in_progress);
  return snapshot;
}

bool TxidSnapshot::visible(Xid xid) const {
  if (xid < xmin_) return true;
  if (xid >= xmax_) return false;
  return !std::binary_search(in_progress_.begin(), in_progress_.end(), xid);
}

std::string TxidSnapshot::str() const {
  return format(xmin_, xmax_, in_progress_);
}

}  // namespace tapedeck
