#include "ops/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <string>

namespace etagd::ops {
namespace {

// The whole of a small /proc file (they report a size of 0, so read until EOF).
std::string read_small_file(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 1 << 20) break;  // never more than a sane /proc file
  }
  ::close(fd);
  return out;
}

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "btime <seconds>" of /proc/stat.
int64_t boot_time_seconds() {
  std::string stat = read_small_file("/proc/stat");
  std::string_view rest(stat);
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    if (line.starts_with("btime ")) {
      uint64_t v = 0;
      if (parse_u64(line.substr(6), v)) return static_cast<int64_t>(v);
      return 0;
    }
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return 0;
}

uint64_t count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int own = dirfd(dir);
  uint64_t n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int fd = -1;
    std::string_view name(e->d_name);
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec != std::errc() || fd == own) continue;  // the directory being read is not ours
    ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

bool parse_proc_stat(std::string_view line, long ticks_per_second, long page_size,
                     int64_t boot_time_seconds, ProcessStats& out) {
  // "pid (comm) state ppid ...": comm may hold anything, so the fields start after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return false;
  std::string_view rest = line.substr(close + 1);
  // Fields 3.. of proc(5), 0-based here: utime is field 14, so index 11.
  constexpr size_t kUtime = 11, kStime = 12, kStarttime = 19, kVsize = 20, kRss = 21;
  std::array<uint64_t, kRss + 1> v{};
  size_t index = 0;
  size_t pos = 0;
  while (index <= kRss) {
    while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\n')) ++pos;
    if (pos >= rest.size()) return false;
    size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view field = rest.substr(pos, end - pos);
    if (index >= kUtime && !parse_u64(field, v[index])) {
      // rss may be reported negative for a kernel thread; nothing else may be.
      if (index != kRss) return false;
      v[index] = 0;
    }
    ++index;
    pos = end;
  }
  double ticks = static_cast<double>(ticks_per_second);
  out.cpu_seconds = static_cast<double>(v[kUtime] + v[kStime]) / ticks;
  out.start_time_seconds =
      static_cast<double>(boot_time_seconds) + static_cast<double>(v[kStarttime]) / ticks;
  out.virtual_bytes = v[kVsize];
  out.resident_bytes = v[kRss] * static_cast<uint64_t>(page_size > 0 ? page_size : 4096);
  out.ok = true;
  return true;
}

ProcessStats read_process_stats() {
  ProcessStats s;
  std::string stat = read_small_file("/proc/self/stat");
  parse_proc_stat(stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time_seconds(), s);
  s.open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<uint64_t>(limit.rlim_cur);
  }
  return s;
}

}  // namespace etagd::ops
