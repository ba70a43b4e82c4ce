// A small SQL lexer: enough to find statement boundaries and the leading keywords.
#include "transform/sql_statements.hpp"

#include <algorithm>
#include <cctype>

namespace tapedeck::transform {
namespace {

bool identifier_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || c == '_' || byte >= 0x80;
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Walks `text` token by token. Whitespace and comments are skipped; every other token
// (a word, a quoted string, a punctuation character) is reported by its bounds.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token after whitespace and comments; false at the end.
  bool next(std::size_t& begin, std::size_t& end) {
    skip_space_and_comments();
    if (at_ >= text_.size()) return false;
    begin = at_;
    const char c = text_[at_];
    if (c == '\'') {
      quoted('\'', false);  // E'...' is lexed with its prefix word, below
    } else if (c == '"') {
      quoted('"', false);
    } else if (c == '$' && dollar_quote()) {
      // consumed by dollar_quote
    } else if (identifier_char(c)) {
      while (at_ < text_.size() && (identifier_char(text_[at_]) || text_[at_] == '$')) ++at_;
      // E'...' and U&'...' strings: the quote follows the prefix word directly.
      if (at_ < text_.size() && text_[at_] == '\'') {
        const bool escapes = at_ - begin == 1 && (text_[begin] == 'E' || text_[begin] == 'e');
        quoted('\'', escapes);
      }
    } else {
      ++at_;
    }
    end = at_;
    return true;
  }

 private:
  void skip_space_and_comments() {
    while (at_ < text_.size()) {
      if (space(text_[at_])) {
        ++at_;
      } else if (text_.compare(at_, 2, "--") == 0) {
        const auto newline = text_.find('\n', at_);
        at_ = newline == std::string_view::npos ? text_.size() : newline + 1;
      } else if (text_.compare(at_, 2, "/*") == 0) {
        int depth = 0;
        while (at_ < text_.size()) {
          if (text_.compare(at_, 2, "/*") == 0) {
            ++depth;
            at_ += 2;
          } else if (text_.compare(at_, 2, "*/") == 0) {
            at_ += 2;
            if (--depth == 0) break;
          } else {
            ++at_;
          }
        }
      } else {
        return;
      }
    }
  }

  // From the opening quote at at_ to after the closing one; a doubled quote stays inside,
  // and with `escapes` (E'...') so does a backslash-escaped one.
  void quoted(char quote, bool escapes) {
    ++at_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (escapes && c == '\\') {
        at_ += 2;
      } else if (c == quote) {
        if (at_ + 1 < text_.size() && text_[at_ + 1] == quote) {
          at_ += 2;
        } else {
          ++at_;
          return;
        }
      } else {
        ++at_;
      }
    }
    at_ = text_.size();
  }

  // $tag$ ... $tag$ starting at at_; false (nothing consumed) when at_ is no opening tag
  // (a parameter such as $1 or a lone $).
  bool dollar_quote() {
    std::size_t close = at_ + 1;
    while (close < text_.size() && identifier_char(text_[close]) &&
           std::isdigit(static_cast<unsigned char>(text_[at_ + 1])) == 0) {
      ++close;
    }
    if (close >= text_.size() || text_[close] != '$') return false;
    const std::string_view tag = text_.substr(at_, close - at_ + 1);
    const auto end = text_.find(tag, close + 1);
    at_ = end == std::string_view::npos ? text_.size() : end + tag.size();
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

std::string upper(std::string_view word) {
  std::string out(word);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::vector<std::string_view> split_statements(std::string_view query) {
  std::vector<std::string_view> statements;
  Lexer lexer(query);
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t first = std::string_view::npos;  // the statement's first token
  std::size_t last = 0;                        // the end of its last token
  int depth = 0;
  auto finish = [&] {
    if (first != std::string_view::npos) statements.push_back(query.substr(first, last - first));
    first = std::string_view::npos;
  };
  while (lexer.next(begin, end)) {
    const char c = query[begin];
    if (end - begin == 1 && c == ';' && depth == 0) {
      finish();
      continue;
    }
    if (end - begin == 1 && c == '(') ++depth;
    if (end - begin == 1 && c == ')' && depth > 0) --depth;
    if (first == std::string_view::npos) first = begin;
    last = end;
  }
  finish();
  return statements;
}

std::string command_tag(std::string_view statement) {
  Lexer lexer(statement);
  std::size_t begin = 0;
  std::size_t end = 0;
  std::vector<std::string> words;
  int depth = 0;
  bool top_level_as = false;
  while (lexer.next(begin, end)) {
    const std::string_view token = statement.substr(begin, end - begin);
    if (token == "(") ++depth;
    if (token == ")" && depth > 0) --depth;
    if (!identifier_char(token.front())) {
      if (words.size() < 2) break;  // the leading keywords end at the first non-word
      continue;
    }
    std::string word = upper(token);
    if (depth == 0 && word == "AS") top_level_as = true;
    if (words.size() < 2) {
      static constexpr std::string_view kModifiers[] = {"OR",   "REPLACE",   "GLOBAL",   "LOCAL",
                                                        "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE"};
      const bool modifier =
          !words.empty() && words.front() == "CREATE" &&
          std::find(std::begin(kModifiers), std::end(kModifiers), word) != std::end(kModifiers);
      if (!modifier) words.push_back(std::move(word));
    }
  }
  std::string tag;
  for (const auto& word : words) {
    if (!tag.empty()) tag += ' ';
    tag += word;
  }
  if (tag == "CREATE TABLE" && top_level_as) tag += " AS";
  return tag;
}

}  // namespace tapedeck::transform
