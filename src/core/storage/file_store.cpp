// The folder store: temp file + fsync + rename for atomic puts, a directory walk for list.
#include "core/storage/file_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>
#include <vector>

#include "core/error.hpp"
#include "core/storage/sha256.hpp"

namespace tapedeck::storage {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

Recovery recovery_for(int error) {
  switch (error) {
    case ENOENT:
      return Recovery::not_found;
    case EIO:
    case ENOSPC:
    case EDQUOT:
    case EINTR:
    case EAGAIN:
    case EMFILE:
    case ENFILE:
      return Recovery::retry;
    default:
      return Recovery::fail;
  }
}

[[noreturn]] void fail_errno(int error, const std::string& what) {
  // A full disk is the operator's to fix; what was being written is removed (TempFile).
  const std::string_view hint =
      error == ENOSPC || error == EDQUOT
          ? "; the storage folder's disk is full: free space there or point storage.url at a "
            "folder with room (nothing was stored)"
          : "";
  throw Error(ErrorSource::storage, recovery_for(error),
              fmt::format("{}: {}{}", what, std::strerror(error), hint), std::strerror(error));
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (delayed write errors show up here).
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// The start of the names of put()'s temporary files for `target` (mkostemp adds six characters),
// which discard() looks for.
std::string temp_name_prefix(const fs::path& target) {
  return std::string(kTempFilePrefix) + target.filename().string() + ".";
}

// Removes the temporary file unless the put committed it.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "writing " + path);
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

void fsync_directory(const fs::path& directory) {
  Fd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail_errno(errno, "opening folder " + directory.string() + " to sync it");
  if (::fsync(fd.get()) != 0) fail_errno(errno, "syncing folder " + directory.string());
}

std::chrono::system_clock::time_point modified(const struct stat& st) {
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec))};
}

// A prefix may be a partial key but must not climb out of the root.
void check_prefix(std::string_view prefix) {
  if (prefix.starts_with('/')) {
    throw Error(
        ErrorSource::storage, Recovery::invalid,
        fmt::format("list prefix \"{}\" is absolute; give it relative to the store", prefix));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = prefix.find('/', start);
    const std::string_view segment = prefix.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment == ".." && slash != std::string_view::npos) {
      throw Error(ErrorSource::storage, Recovery::invalid,
                  fmt::format("list prefix \"{}\" contains \"..\"", prefix));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

}  // namespace

FileStore::FileStore(fs::path root) : root_(std::move(root)) {
  if (!root_.is_absolute()) {
    throw Error(ErrorSource::storage, Recovery::invalid,
                fmt::format("storage folder \"{}\" is not absolute; give a file:///absolute/path",
                            root_.string()));
  }
  root_ = root_.lexically_normal();
  if (root_.has_filename() == false && root_ != root_.root_path()) {
    root_ = root_.parent_path();  // drop a trailing '/'
  }
  std::error_code error;
  fs::create_directories(root_, error);
  if (error) fail_errno(error.value(), "creating storage folder " + root_.string());
}

ObjectInfo FileStore::put(const ObjectKey& key, std::istream& data) {
  const fs::path target = root_ / key.str();
  const fs::path folder = target.parent_path();
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) fail_errno(error.value(), "creating folder " + folder.string());

  std::string pattern = (folder / (temp_name_prefix(target) + "XXXXXX")).string();
  Fd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (fd.get() < 0) fail_errno(errno, "creating a temporary file in " + folder.string());
  TempFile temp(pattern);

  if (data.bad() || (data.fail() && !data.eof())) {
    throw Error(ErrorSource::storage, Recovery::fail,
                fmt::format("the input stream for {} is already in a failed state", key.str()));
  }
  Sha256 hasher;
  std::uint64_t size = 0;
  std::vector<char> buffer(kChunk);
  while (data) {
    data.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(data.gcount());
    if (data.bad()) {
      throw Error(ErrorSource::storage, Recovery::fail,
                  fmt::format("reading the data for {} failed after {} bytes; nothing was stored",
                              key.str(), size + got));
    }
    if (got == 0) break;
    write_all(fd.get(), buffer.data(), got, temp.path());
    hasher.update(std::string_view(buffer.data(), got));
    size += got;
  }
  if (::fsync(fd.get()) != 0) fail_errno(errno, "syncing " + temp.path());
  if (fd.close() != 0) fail_errno(errno, "closing " + temp.path());
  if (::rename(temp.path().c_str(), target.c_str()) != 0) {
    fail_errno(errno, "renaming " + temp.path() + " to " + target.string());
  }
  temp.commit();
  fsync_directory(folder);

  ObjectInfo info;
  info.key = key.str();
  info.size = size;
  info.sha256 = hasher.finish_hex();
  struct stat st {};
  info.last_modified =
      ::stat(target.c_str(), &st) == 0 ? modified(st) : std::chrono::system_clock::now();
  return info;
}

void FileStore::get(const ObjectKey& key, std::ostream& out) {
  const fs::path path = root_ / key.str();
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      throw Error(ErrorSource::storage, Recovery::not_found,
                  fmt::format("object {} does not exist in {}", key.str(), root_.string()));
    }
    fail_errno(errno, "opening " + path.string());
  }
  std::vector<char> buffer(kChunk);
  while (true) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "reading " + path.string());
    }
    if (got == 0) break;
    out.write(buffer.data(), got);
    if (!out) {
      throw Error(ErrorSource::storage, Recovery::fail,
                  fmt::format("writing object {} to the output stream failed", key.str()));
    }
  }
}

std::vector<ObjectInfo> FileStore::list(std::string_view prefix) {
  check_prefix(prefix);
  // Walk only the folder the prefix fully names ("a/b/c" -> root/a/b).
  const std::size_t slash = prefix.rfind('/');
  const fs::path start =
      slash == std::string_view::npos ? root_ : root_ / std::string(prefix.substr(0, slash));
  std::vector<ObjectInfo> found;
  std::error_code error;
  if (!fs::is_directory(start, error)) return found;
  fs::recursive_directory_iterator it(start, error);
  if (error) fail_errno(error.value(), "listing " + start.string());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) fail_errno(error.value(), "listing " + start.string());
    const std::string name = it->path().filename().string();
    if (name.starts_with(kTempFilePrefix)) continue;
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    const std::string key = it->path().lexically_relative(root_).generic_string();
    if (!key.starts_with(prefix)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed while we walked
      fail_errno(errno, "reading the size of " + it->path().string());
    }
    found.push_back(
        ObjectInfo{key, static_cast<std::uint64_t>(st.st_size), std::string(), modified(st)});
  }
  if (error) fail_errno(error.value(), "listing " + start.string());
  std::sort(found.begin(), found.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return found;
}

void FileStore::remove(const ObjectKey& key) {
  fs::path path = root_ / key.str();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    fail_errno(errno, "removing " + path.string());
  // Tidy folders the object leaves empty; rmdir refuses non-empty ones, which ends the climb.
  for (path = path.parent_path(); path != root_ && path.string().size() > root_.string().size();
       path = path.parent_path()) {
    if (::rmdir(path.c_str()) != 0) break;
  }
}

void FileStore::discard(const ObjectKey& key) {
  const fs::path path = root_ / key.str();
  const std::string temp_prefix = temp_name_prefix(path);
  std::error_code error;
  for (fs::directory_iterator it(path.parent_path(), error), end; !error && it != end;
       it.increment(error)) {
    if (!it->path().filename().string().starts_with(temp_prefix)) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
      fail_errno(errno, "removing " + it->path().string());
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    fail_errno(error.value(), "listing " + path.parent_path().string());
  }
  remove(key);
}

std::optional<ObjectInfo> FileStore::head(const ObjectKey& key) {
  const fs::path path = root_ / key.str();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail_errno(errno, "reading the size of " + path.string());
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{key.str(), static_cast<std::uint64_t>(st.st_size), std::string(), modified(st)};
}

std::string FileStore::url_of(const ObjectKey& key) const {
  return "file://" + (root_ / key.str()).string();
}

}  // namespace tapedeck::storage
