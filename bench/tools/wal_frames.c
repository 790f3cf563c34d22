/* Counts the WAL frames SQLite writes, by page number: an LD_PRELOAD shim for finding which B-trees a workload
 * rewrites. SQLite writes each WAL frame as a 24-byte header (page number first, big-endian) followed by the page;
 * this wraps pwrite64, counts headers written to a file whose name ends in "-wal", and at exit writes
 * "<page> <frames>" lines to $WAL_FRAMES_OUT. bench/tools/wal_frames.py runs a workload under it and maps pages to
 * tables and indexes with SQLite's dbstat.
 *
 * Build: cc -O2 -shared -fPIC bench/tools/wal_frames.c -o /tmp/wal_frames.so -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { kMaxPages = 1 << 22, kFrameHeader = 24 };

static ssize_t (*real_pwrite64)(int, const void*, size_t, off_t);
static uint32_t* frames_by_page;
static int wal_fd = -1;

static int IsWalFile(int fd) {
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 4) return 0;
  path[n] = 0;
  return strcmp(path + n - 4, "-wal") == 0;
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  if (!real_pwrite64) {
    real_pwrite64 = (ssize_t (*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    frames_by_page = calloc(kMaxPages, sizeof *frames_by_page);
  }
  if (count == kFrameHeader && (fd == wal_fd || (wal_fd < 0 && IsWalFile(fd)))) {
    wal_fd = fd;
    const unsigned char* h = buf;
    const uint32_t page = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (page < kMaxPages) __atomic_add_fetch(&frames_by_page[page], 1, __ATOMIC_RELAXED);
  }
  return real_pwrite64(fd, buf, count, offset);
}

__attribute__((destructor)) static void WriteCounts(void) {
  const char* out_path = getenv("WAL_FRAMES_OUT");
  if (!frames_by_page || !out_path) return;
  FILE* out = fopen(out_path, "w");
  if (!out) return;
  for (uint32_t page = 0; page < kMaxPages; ++page) {
    if (frames_by_page[page]) fprintf(out, "%u %u\n", page, frames_by_page[page]);
  }
  fclose(out);
}
