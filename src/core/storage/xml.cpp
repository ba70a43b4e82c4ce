// S3 response bodies through pugixml; escaping for the request bodies tapedeck writes.
#include "core/storage/xml.hpp"

namespace tapedeck::storage::xml {

namespace {

bool named(pugi::xml_node node, std::string_view tag) {
  return node.type() == pugi::node_element && std::string_view(node.name()) == tag;
}

void collect(pugi::xml_node parent, std::string_view tag, std::vector<pugi::xml_node>& found) {
  for (pugi::xml_node child : parent.children()) {
    if (named(child, tag)) found.push_back(child);
    collect(child, tag, found);
  }
}

}  // namespace

std::optional<std::string> Element::text(std::string_view tag) const {
  const pugi::xml_node found =
      node_.find_node([tag](pugi::xml_node node) { return named(node, tag); });
  if (!found) return std::nullopt;
  // Text may come in pieces: "a <![CDATA[<b>]]> c" is three children.
  std::string text;
  for (pugi::xml_node child : found.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    }
  }
  return text;
}

std::vector<Element> Element::all(std::string_view tag) const {
  std::vector<pugi::xml_node> nodes;
  collect(node_, tag, nodes);
  std::vector<Element> elements;
  elements.reserve(nodes.size());
  for (const pugi::xml_node node : nodes) elements.push_back(Element(node));
  return elements;
}

Document::Document(std::string_view body) {
  // parse_default resolves entities and character references and keeps CDATA; whitespace-only
  // text is dropped, which no value read here consists of.
  const pugi::xml_parse_result parsed =
      document_.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) document_.reset();  // not XML: nothing to find, rather than half a tree
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
