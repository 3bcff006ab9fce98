// A private temporary directory for one test, removed with everything in it on destruction
// (kept when the environment sets ETAGD_KEEP_TEST_DIRS=1, for post-mortems).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace etagd::testing {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>-XXXXXX (or /tmp/...); throws on failure.
  explicit TempDir(std::string_view prefix = "etagd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(std::string_view name) const { return path_ / name; }

  // Replaces the file atomically (write a sibling, then rename), so a reader never sees it
  // half-written. Returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;
  // The file's content, "" if it does not exist.
  std::string read(std::string_view name) const;

 private:
  std::filesystem::path path_;
};

// Whole-file helpers used by the process wrappers.
std::string read_file(const std::filesystem::path& path);
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace etagd::testing
