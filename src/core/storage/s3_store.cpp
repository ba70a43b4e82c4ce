// The S3 store: signed requests, single and multipart PUT, ListObjectsV2, errors from XML bodies.
#include "core/storage/s3_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <istream>
#include <ostream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/storage/sha256.hpp"
#include "core/storage/xml.hpp"

namespace tapedeck::storage {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::chrono::system_clock::time_point from_tm(std::tm tm) {
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// ListObjectsV2's "2009-10-12T17:50:30.000Z".
std::chrono::system_clock::time_point parse_iso8601(const std::string& text) {
  std::tm tm{};
  double seconds = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lfZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &seconds) != 6) {
    return {};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = static_cast<int>(seconds);
  const auto fraction = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(seconds - tm.tm_sec));
  return from_tm(tm) + fraction;
}

// HEAD's Last-Modified: "Wed, 12 Oct 2009 17:50:00 GMT" (RFC 7231 IMF-fixdate).
std::chrono::system_clock::time_point parse_http_date(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return {};
  return from_tm(tm);
}

// Reads up to `limit` bytes of `data`, hashing them into `whole`.
std::string read_part(std::istream& data, std::uint64_t limit, Sha256& whole,
                      const std::string& key, std::uint64_t offset) {
  std::string part(limit, '\0');
  data.read(part.data(), static_cast<std::streamsize>(limit));
  part.resize(static_cast<std::size_t>(data.gcount()));
  if (data.bad()) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("reading the data for {} failed after {} bytes; nothing was stored",
                            key, offset + part.size()));
  }
  whole.update(part);
  return part;
}

// True when `data` has at least one more byte.
bool has_more(std::istream& data, const std::string& key) {
  if (!data) return false;
  const bool more = data.peek() != std::istream::traits_type::eof();
  if (data.bad()) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("reading the data for {} failed; nothing was stored", key));
  }
  return more;
}

}  // namespace

// One S3 request before signing. `body` must outlive send().
struct S3Store::Call {
  std::string method;
  std::string object;  // full object name under the bucket; "" addresses the bucket
  Pairs query;
  std::string_view body;
  std::string payload_hash = std::string(sigv4::kEmptyPayloadHash);
  http::BodySink sink;
};

S3Store::S3Store(std::string bucket, std::string prefix, S3Config config)
    : bucket_(std::move(bucket)), prefix_(std::move(prefix)), config_(std::move(config)) {
  if (bucket_.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid, "S3 storage needs a bucket: s3://bucket");
  }
  if (config_.part_size < kMinPartSize || config_.part_size > 5ull * 1024 * 1024 * 1024) {
    throw Error(
        ErrorSource::config, Recovery::invalid,
        fmt::format("S3 part size {} is outside S3's limits of 5 MiB to 5 GiB", config_.part_size));
  }
  endpoint_ = parse_s3_endpoint(config_.endpoint, config_.region);
  credentials_ = {config_.access_key, config_.secret_key};
}

http::Response S3Store::send(Call& call) {
  const S3Address address = s3_address(endpoint_, bucket_, call.object, config_.path_style);
  const auto now = std::chrono::system_clock::now();

  sigv4::Request signed_part;
  signed_part.method = call.method;
  signed_part.path = address.path;
  signed_part.query = call.query;
  signed_part.headers = {{"host", address.host},
                         {"x-amz-content-sha256", call.payload_hash},
                         {"x-amz-date", sigv4::amz_datetime(now)}};
  signed_part.payload_hash = call.payload_hash;
  const sigv4::Signature signature =
      sigv4::sign(signed_part, credentials_, {config_.region, "s3"}, now);

  http::Request request;
  request.method = call.method;
  request.url = address.url;
  if (!call.query.empty()) request.url += "?" + sigv4::canonical_query(signed_part);
  for (const auto& [name, value] : signed_part.headers) request.headers.add(name, value);
  request.headers.add("Authorization", signature.authorization);
  std::size_t offset = 0;
  if (!call.body.empty()) {
    request.body_length = call.body.size();
    request.body_reader = [&call, &offset](char* buffer, std::size_t capacity) {
      const std::size_t n = std::min(capacity, call.body.size() - offset);
      std::copy_n(call.body.data() + offset, n, buffer);
      offset += n;
      return n;
    };
  }
  request.response_sink = call.sink;
  request.connect_timeout = config_.connect_timeout;
  request.total_timeout = config_.request_timeout;
  return client_.send(request);
}

void S3Store::fail(const http::Response& response, const std::string& what) const {
  const xml::Document body(response.body);
  const std::string code = body.text("Code").value_or("");
  const std::string message = body.text("Message").value_or("");
  Recovery recovery = Recovery::fail;
  if (response.status == 404) {
    recovery = Recovery::not_found;
  } else if (response.status == 409) {
    recovery = Recovery::conflict;
  } else if (response.status == 408 || response.status == 429 || response.status >= 500 ||
             code == "SlowDown" || code == "RequestTimeout" || code == "InternalError") {
    recovery = Recovery::retry;
  }
  std::string detail = fmt::format("HTTP {}", response.status);
  if (!code.empty()) detail += " " + code;
  if (!message.empty()) detail += ": " + message;
  std::string hint;
  if (response.status == 403) {
    hint = "; check the access key, secret key, region and the bucket's permissions";
  } else if (code == "NoSuchBucket") {
    hint = fmt::format("; create bucket {} or fix the storage URL", bucket_);
  }
  throw Error(ErrorSource::storage, recovery, fmt::format("{} failed: {}{}", what, detail, hint),
              std::to_string(response.status));
}

ObjectInfo S3Store::put(const ObjectKey& key, std::istream& data) {
  const std::string object = prefix_ + key.str();
  if (data.bad() || (data.fail() && !data.eof())) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("the input stream for {} is already in a failed state", key.str()));
  }
  Sha256 whole;
  std::string first = read_part(data, config_.part_size, whole, key.str(), 0);
  if (first.size() == config_.part_size && has_more(data, key.str())) {
    return put_multipart(object, key, data, std::move(first), whole);
  }
  ObjectInfo info;
  info.key = key.str();
  info.size = first.size();
  info.sha256 = whole.finish_hex();
  Call call{"PUT", object, {}, first, info.sha256, {}};
  const http::Response response = send(call);
  if (!response.ok()) fail(response, "PUT " + url_of(key));
  info.last_modified = std::chrono::system_clock::now();
  return info;
}

ObjectInfo S3Store::put_multipart(const std::string& object, const ObjectKey& key,
                                  std::istream& data, std::string first_part, Sha256& whole) {
  Call create{"POST", object, {{"uploads", ""}}, {}, std::string(sigv4::kEmptyPayloadHash), {}};
  const http::Response created = send(create);
  if (!created.ok()) fail(created, "starting the multipart upload of " + url_of(key));
  const std::string upload_id = xml::Document(created.body).text("UploadId").value_or("");
  if (upload_id.empty()) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("starting the multipart upload of {} gave no UploadId", url_of(key)));
  }
  try {
    std::string parts_xml;
    std::string part = std::move(first_part);
    std::uint64_t size = 0;
    for (int number = 1;; ++number) {
      Call upload{"PUT",
                  object,
                  {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}},
                  part,
                  sha256_hex(part),
                  {}};
      const http::Response uploaded = send(upload);
      const std::string what = fmt::format("uploading part {} of {}", number, url_of(key));
      if (!uploaded.ok()) fail(uploaded, what);
      const auto etag = uploaded.headers.get("ETag");
      if (!etag || etag->empty()) {
        throw Error(ErrorSource::storage, Recovery::fail, what + " gave no ETag");
      }
      parts_xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", number,
                               xml::escape(*etag));
      size += part.size();
      if (!has_more(data, key.str())) break;
      part = read_part(data, config_.part_size, whole, key.str(), size);
      if (part.empty()) break;
    }
    const std::string body =
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + parts_xml +
        "</CompleteMultipartUpload>";
    Call complete{"POST", object, {{"uploadId", upload_id}}, body, sha256_hex(body), {}};
    const http::Response completed = send(complete);
    // CompleteMultipartUpload can answer 200 and still report an error in the body.
    if (!completed.ok() || completed.body.find("<Error>") != std::string::npos) {
      fail(completed.ok() ? http::Response{500, {}, completed.body} : completed,
           "completing the multipart upload of " + url_of(key));
    }
    ObjectInfo info;
    info.key = key.str();
    info.size = size;
    info.sha256 = whole.finish_hex();
    info.last_modified = std::chrono::system_clock::now();
    return info;
  } catch (...) {
    abort_upload(object, upload_id);
    throw;
  }
}

void S3Store::abort_upload(const std::string& object, const std::string& upload_id) {
  const std::string where = fmt::format("s3://{}/{}", bucket_, object);
  try {
    Call abort{
        "DELETE", object, {{"uploadId", upload_id}}, {}, std::string(sigv4::kEmptyPayloadHash), {}};
    const http::Response response = send(abort);
    if (response.ok() || response.status == 404) return;
    log::get("storage")->warn(
        "aborting multipart upload {} of {} failed with HTTP {}; the server keeps its parts until "
        "a lifecycle rule removes them",
        upload_id, where, response.status);
  } catch (const std::exception& e) {
    log::get("storage")->warn("aborting multipart upload {} of {} failed: {}", upload_id, where,
                              e.what());
  }
}

void S3Store::get(const ObjectKey& key, std::ostream& out) {
  Call call{"GET", prefix_ + key.str(), {}, {}, std::string(sigv4::kEmptyPayloadHash), {}};
  call.sink = [&out, &key](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (!out) {
      throw Error(ErrorSource::storage, Recovery::fail,
                  fmt::format("writing object {} to the output stream failed", key.str()));
    }
  };
  const http::Response response = send(call);
  if (!response.ok()) fail(response, "GET " + url_of(key));
}

std::vector<ObjectInfo> S3Store::list(std::string_view prefix) {
  const std::string full = prefix_ + std::string(prefix);
  std::vector<ObjectInfo> found;
  std::string token;
  while (true) {
    Call call{"GET",
              "",
              {{"list-type", "2"}, {"prefix", full}},
              {},
              std::string(sigv4::kEmptyPayloadHash),
              {}};
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    const http::Response response = send(call);
    if (!response.ok()) fail(response, fmt::format("listing s3://{}/{}", bucket_, full));
    const xml::Document listing(response.body);
    for (const xml::Element& contents : listing.all("Contents")) {
      const std::string key = contents.text("Key").value_or("");
      if (!key.starts_with(prefix_) || !key.starts_with(full)) continue;
      ObjectInfo info;
      info.key = key.substr(prefix_.size());
      info.size = std::stoull(contents.text("Size").value_or("0"));
      info.last_modified = parse_iso8601(contents.text("LastModified").value_or(""));
      found.push_back(std::move(info));
    }
    if (listing.text("IsTruncated").value_or("false") != "true") break;
    token = listing.text("NextContinuationToken").value_or("");
    if (token.empty()) {
      throw Error(ErrorSource::storage, Recovery::fail,
                  fmt::format("listing s3://{}/{} was truncated without a continuation token",
                              bucket_, full));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return found;
}

void S3Store::remove(const ObjectKey& key) {
  Call call{"DELETE", prefix_ + key.str(), {}, {}, std::string(sigv4::kEmptyPayloadHash), {}};
  const http::Response response = send(call);
  if (response.ok() || response.status == 404) return;
  fail(response, "DELETE " + url_of(key));
}

void S3Store::discard(const ObjectKey& key) {
  remove(key);
  const std::string object = prefix_ + key.str();
  Call call{
      "GET", "", {{"prefix", object}, {"uploads", ""}}, {}, std::string(sigv4::kEmptyPayloadHash),
      {}};
  const http::Response response = send(call);
  if (response.status == 501) {  // NotImplemented: a server without ListMultipartUploads
    log::get("storage")->warn(
        "the S3 server cannot list unfinished multipart uploads of {}; any parts an interrupted "
        "backup left stay until a lifecycle rule (AbortIncompleteMultipartUpload) removes them",
        url_of(key));
    return;
  }
  if (!response.ok()) fail(response, "listing the unfinished multipart uploads of " + url_of(key));
  // Only the uploads of this very key: at most a few, so one page (1,000) holds them all.
  for (const xml::Element& upload : xml::Document(response.body).all("Upload")) {
    if (upload.text("Key").value_or("") != object) continue;
    const std::string upload_id = upload.text("UploadId").value_or("");
    if (!upload_id.empty()) abort_upload(object, upload_id);
  }
}

std::optional<ObjectInfo> S3Store::head(const ObjectKey& key) {
  Call call{"HEAD", prefix_ + key.str(), {}, {}, std::string(sigv4::kEmptyPayloadHash), {}};
  const http::Response response = send(call);
  if (response.status == 404) return std::nullopt;
  if (!response.ok()) fail(response, "HEAD " + url_of(key));
  ObjectInfo info;
  info.key = key.str();
  info.size = std::stoull(response.headers.get("Content-Length").value_or("0"));
  info.last_modified = parse_http_date(response.headers.get("Last-Modified").value_or(""));
  return info;
}

std::string S3Store::url_of(const ObjectKey& key) const {
  return fmt::format("s3://{}/{}{}", bucket_, prefix_, key.str());
}

}  // namespace tapedeck::storage
