#include "index/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "core/error.h"

namespace audiorium::index {

namespace fs = std::filesystem;

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text() { return std::strerror(errno); }

// Makes the rename itself durable; a failure here is not worth failing the save over (some file
// systems refuse fsync on directories), the data is already safely in place.
void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const fs::path& target, const std::function<void(std::FILE*)>& write) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // Hidden and unique; built with append because GCC 12 warns falsely (-Wrestrict) on "." + string.
  std::string name(".");
  name.append(target.filename().string()).append(".tmp-XXXXXX");
  std::string tmp = (dir / name).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw Error("cannot write " + target.string() + ": cannot create a temporary file in " +
                          dir.string() + ": " + errno_text());
  ::fchmod(fd, 0644);  // mkstemp makes 0600; an index is not secret

  try {
    FileHandle stream(::fdopen(fd, "wb"));
    if (!stream) {
      ::close(fd);
      throw Error("cannot write " + target.string() + ": " + errno_text());
    }
    write(stream.get());
    if (std::fflush(stream.get()) != 0 || ::fsync(::fileno(stream.get())) != 0)
      throw Error("cannot write " + target.string() + ": " + errno_text());
    if (std::fclose(stream.release()) != 0) throw Error("cannot write " + target.string() + ": " + errno_text());
    if (std::rename(tmp.c_str(), target.c_str()) != 0)
      throw Error("cannot replace " + target.string() + ": " + errno_text());
  } catch (const Error&) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  } catch (const std::exception& e) {  // e.g. faiss::FaissException from the writer
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error("cannot write " + target.string() + ": " + e.what());
  }
  fsync_directory(dir);
}

void write_text_atomically(const fs::path& target, std::string_view text) {
  write_file_atomically(target, [&](std::FILE* f) {
    if (std::fwrite(text.data(), 1, text.size(), f) != text.size())
      throw Error("short write to " + target.string() + ": " + errno_text());
  });
}

}  // namespace audiorium::index
