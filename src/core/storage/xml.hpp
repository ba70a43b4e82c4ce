// S3 response bodies read with pugixml: the text of elements by name; escaping for requests.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tapedeck::storage::xml {

// An element of a parsed document (a view: valid while its Document lives). Lookups are by
// exact element name among all descendants, in document order, which is enough for the fixed
// shapes of S3 responses (ListBucketResult/Contents, Error, InitiateMultipartUploadResult).
class Element {
 public:
  // The decoded text (entities, character references and CDATA resolved) directly inside the
  // first descendant named `tag`; "" for an empty element; nullopt when there is none.
  std::optional<std::string> text(std::string_view tag) const;
  // Every descendant named `tag`, in document order.
  std::vector<Element> all(std::string_view tag) const;

 private:
  friend class Document;
  explicit Element(pugi::xml_node node) : node_(node) {}
  pugi::xml_node node_;
};

// A parsed response body. A body that is not well-formed XML (an error page from a proxy, an
// empty reply) gives an empty document: every lookup finds nothing. Neither copied nor moved:
// its Elements point into it.
class Document {
 public:
  explicit Document(std::string_view body);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  std::optional<std::string> text(std::string_view tag) const { return root().text(tag); }
  std::vector<Element> all(std::string_view tag) const { return root().all(tag); }

 private:
  Element root() const { return Element(document_); }
  pugi::xml_document document_;
};

// Escapes &, <, >, " and ' for element content or attribute values.
std::string escape(std::string_view text);

}  // namespace tapedeck::storage::xml
