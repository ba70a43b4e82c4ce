// Just enough XML for S3 responses: element text by tag name, entity decoding, escaping.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapedeck::storage::xml {

// The raw content between <tag ...> and </tag> of every element named `tag`, in document order
// (an empty element <tag/> gives ""). Elements of that name must not nest, which holds for the
// S3 responses parsed here (ListBucketResult/Contents, Error, InitiateMultipartUploadResult).
std::vector<std::string_view> elements(std::string_view document, std::string_view tag);
// The decoded text of the first element named `tag`, or nothing.
std::optional<std::string> text(std::string_view document, std::string_view tag);
// Resolves the five predefined entities, numeric character references and CDATA sections.
std::string decode(std::string_view raw);
// Escapes &, <, >, " and ' for element content or attribute values.
std::string escape(std::string_view text);

}  // namespace tapedeck::storage::xml
