// ObjectStore over the S3 API (AWS S3, MinIO, Ceph, s3rver), signed with SigV4.
#pragma once

#include <string>

#include "core/http/client.hpp"
#include "core/storage/object_store.hpp"
#include "core/storage/s3_address.hpp"
#include "core/storage/sigv4.hpp"

namespace tapedeck::storage {

// Objects live in `bucket` under `prefix`. put() sends objects up to one part in a single PUT and
// larger ones as a multipart upload, holding one part in memory; a failure aborts the multipart
// upload. Owns one http::Client, so a store is used by one thread at a time. Needs the process's
// http::CurlGlobal. Low-level calls fail fast: retrying is the caller's decision, guided by
// Error::recovery().
class S3Store final : public ObjectStore {
 public:
  // `prefix` is "" or ends with '/'. Throws Error(config, invalid) for a bad endpoint or part size.
  S3Store(std::string bucket, std::string prefix, S3Config config);

  ObjectInfo put(const ObjectKey& key, std::istream& data) override;
  void get(const ObjectKey& key, std::ostream& out) override;
  std::vector<ObjectInfo> list(std::string_view prefix) override;
  void remove(const ObjectKey& key) override;
  void discard(const ObjectKey& key) override;
  std::optional<ObjectInfo> head(const ObjectKey& key) override;
  std::string url_of(const ObjectKey& key) const override;

 private:
  struct Call;  // one signed S3 request, see s3_store.cpp
  http::Response send(Call& call);
  [[noreturn]] void fail(const http::Response& response, const std::string& what) const;
  void abort_upload(const std::string& object, const std::string& upload_id);
  ObjectInfo put_multipart(const std::string& object, const ObjectKey& key, std::istream& data,
                           std::string first_part, Sha256& whole);

  std::string bucket_;
  std::string prefix_;
  S3Config config_;
  S3Endpoint endpoint_;
  sigv4::Credentials credentials_;
  http::Client client_;
};

}  // namespace tapedeck::storage
