/*
 * zg_aio: Linux native AIO (io_setup/io_submit/io_getevents through raw syscalls, no libaio) for
 * the sealed-load reader, the same kernel path as fio's `--ioengine=libaio --direct=1`.
 *
 * Why: reading through libuv's thread pool costs a futex wake-up and a pool-thread hand-off per
 * read, all on the event loop's core; on a 2-vCPU host that, not the disk, bounded throughput.
 * Here a read is one io_submit from the JS thread (no thread hop), every completion bumps one
 * eventfd (IOCB_FLAG_RESFD) that libuv polls, and each wake-up reaps all finished reads with
 * io_getevents and calls JS once for the whole batch.
 *
 * Only for O_DIRECT file descriptors: on a buffered fd Linux AIO runs the read synchronously inside
 * io_submit, which would block the event loop. The JS side (src/store/aio.ts) guarantees that.
 *
 * JS API (all arguments checked in JS; errors thrown here carry `code` = errno name):
 *   open(depth, onBatch) -> ring         onBatch(pairs: Int32Array [tag, result, tag, result, ...])
 *                                         result = bytes read, or -errno
 *   submit(ring, fd, view, position, tag) queues one read of view.byteLength bytes into view
 *   close(ring)                           waits for reads still in flight, then frees the ring
 *   alignedAlloc(bytes) -> ArrayBuffer    page-aligned, uninitialised, on transparent huge pages
 *                                         where the size allows (O_DIRECT reads straight into a fresh
 *                                         load: no bounce buffer, no copy, no zero-fill)
 *   aligned(view) -> boolean              whether view's address and length suit O_DIRECT
 * The caller keeps each view alive (referenced) until its completion has been delivered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/aio_abi.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct ring {
  aio_context_t ctx;
  int efd;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_async_context async;
  unsigned depth;
  unsigned inflight;
  int referenced;
  int closed;
  struct io_event *events;
} ring_t;

static long sys_io_setup(unsigned nr, aio_context_t *ctx) { return syscall(SYS_io_setup, nr, ctx); }
static long sys_io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs) { return syscall(SYS_io_submit, ctx, n, iocbs); }
static long sys_io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev, struct timespec *ts) {
  return syscall(SYS_io_getevents, ctx, min, max, ev, ts);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[160];
  const char *name = err == EAGAIN ? "EAGAIN" : err == EINVAL ? "EINVAL" : err == EBADF ? "EBADF" : err == ENOMEM ? "ENOMEM"
                     : err == ENOSYS ? "ENOSYS" : err == EPERM ? "EPERM" : err == EFAULT ? "EFAULT" : "EIO";
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", (napi_create_int32(env, -err, &msg), msg));
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *text) {
  napi_throw_type_error(env, NULL, text);
  return NULL;
}

/* Keeps the event loop alive exactly while reads are in flight (an idle reader must not). */
static void set_ref(ring_t *r) {
  int want = r->inflight > 0;
  if (want == r->referenced) return;
  if (want) uv_ref((uv_handle_t *)&r->poll);
  else uv_unref((uv_handle_t *)&r->poll);
  r->referenced = want;
}

/* Reaps every finished read and hands the batch to JS in one call. */
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  ring_t *r = handle->data;
  uint64_t count;
  while (read(r->efd, &count, sizeof count) == sizeof count) {
  }
  if (status < 0 || r->closed) return;
  struct timespec zero = {0, 0};
  long n = sys_io_getevents(r->ctx, 0, r->depth, r->events, &zero);
  if (n <= 0) return;
  r->inflight -= (unsigned)n;
  set_ref(r);

  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value ab, pairs, cb, global, result;
  void *data;
  if (napi_create_arraybuffer(env, (size_t)n * 2 * sizeof(int32_t), &data, &ab) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, (size_t)n * 2, ab, 0, &pairs) == napi_ok &&
      napi_get_reference_value(env, r->on_batch, &cb) == napi_ok && napi_get_global(env, &global) == napi_ok) {
    int32_t *out = data;
    for (long i = 0; i < n; i++) {
      out[2 * i] = (int32_t)r->events[i].data;
      out[2 * i + 1] = (int32_t)r->events[i].res; /* bytes (<= 2 GiB) or -errno */
    }
    /* make_callback runs the microtasks the batch queues (promise continuations) before returning. */
    napi_make_callback(env, r->async, global, cb, 1, &pairs, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll_closed(uv_handle_t *handle) {
  ring_t *r = handle->data;
  free(r->events);
  free(r);
}

/* Drains and frees the ring; safe to call twice (close() then the env cleanup hook). */
static void ring_shutdown(ring_t *r) {
  if (r->closed) return;
  r->closed = 1;
  uv_poll_stop(&r->poll);
  /* io_destroy waits for reads still in flight, so no DMA lands in memory JS may reuse. */
  sys_io_destroy(r->ctx);
  close(r->efd);
  napi_delete_reference(r->env, r->on_batch);
  napi_async_destroy(r->env, r->async);
  uv_close((uv_handle_t *)&r->poll, on_poll_closed);
}

static void env_cleanup(void *arg) { ring_shutdown(arg); }

static ring_t *get_ring(napi_env env, napi_value v) {
  ring_t *r = NULL;
  if (napi_get_value_external(env, v, (void **)&r) != napi_ok || r == NULL) return NULL;
  return r;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], ext, name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t depth;
  napi_valuetype t;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &depth) != napi_ok || depth < 1 || depth > 4096) return throw_type(env, "open(depth 1..4096, onBatch)");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return throw_type(env, "open: onBatch must be a function");

  ring_t *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, "aio open", ENOMEM);
  r->events = calloc(depth, sizeof *r->events);
  if (r->events == NULL) {
    free(r);
    return throw_errno(env, "aio open", ENOMEM);
  }
  r->depth = depth;
  r->env = env;
  if (sys_io_setup(depth, &r->ctx) < 0) {
    int err = errno;
    free(r->events);
    free(r);
    return throw_errno(env, "io_setup", err);
  }
  r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  uv_loop_t *loop = NULL;
  if (r->efd < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &r->poll, r->efd) != 0) {
    int err = r->efd < 0 ? errno : EIO;
    if (r->efd >= 0) close(r->efd);
    sys_io_destroy(r->ctx);
    free(r->events);
    free(r);
    return throw_errno(env, "aio eventfd", err);
  }
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&r->poll);
  napi_create_reference(env, argv[1], 1, &r->on_batch);
  napi_create_string_utf8(env, "zg_aio", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  napi_add_env_cleanup_hook(env, env_cleanup, r);
  napi_create_external(env, r, NULL, NULL, &ext);
  return ext;
}

static napi_value js_submit(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  ring_t *r = argc == 5 ? get_ring(env, argv[0]) : NULL;
  if (r == NULL) return throw_type(env, "submit(ring, fd, view, position, tag)");
  if (r->closed) return throw_errno(env, "aio submit after close", EBADF);
  int32_t fd, tag;
  double position;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || napi_get_value_double(env, argv[3], &position) != napi_ok ||
      napi_get_value_int32(env, argv[4], &tag) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    return throw_type(env, "submit(ring, fd: int, view: Uint8Array, position: number, tag: int)");
  }
  if (r->inflight >= r->depth) return throw_errno(env, "aio submit: ring full", EAGAIN);
  /* The kernel copies the iocb during io_submit, so a stack one is enough. */
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = (uint32_t)fd;
  cb.aio_buf = (uint64_t)(uintptr_t)data;
  cb.aio_nbytes = length;
  cb.aio_offset = (int64_t)position;
  cb.aio_data = (uint64_t)(uint32_t)tag;
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = (uint32_t)r->efd;
  struct iocb *list[1] = {&cb};
  long rc;
  do rc = sys_io_submit(r->ctx, 1, list);
  while (rc < 0 && errno == EINTR);
  if (rc != 1) return throw_errno(env, "io_submit", rc < 0 ? errno : EAGAIN);
  r->inflight++;
  set_ref(r);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  ring_t *r = argc == 1 ? get_ring(env, argv[0]) : NULL;
  if (r == NULL) return throw_type(env, "close(ring)");
  if (!r->closed) {
    napi_remove_env_cleanup_hook(env, env_cleanup, r);
    ring_shutdown(r);
  }
  return NULL;
}

#define ALIGN 4096
#define CHUNK (2 * 1024 * 1024) /* one transparent huge page */

/*
 * Why huge pages: every O_DIRECT read pins its destination pages (get_user_pages) inside io_submit;
 * with 4 KiB pages that is 64 pins per load and was the largest kernel cost per read in a profile.
 * A buffer inside one 2 MiB transparent huge page is pinned as a single folio. THP is often
 * `madvise`-only, hence MADV_HUGEPAGE; where THP is off this is ordinary memory and still correct.
 *
 * 2 MiB buffers (the JS side carves fresh loads from them, 8 to a chunk) come from a free list:
 * they are allocated and dropped hundreds of times a second, and a fresh mapping each time would
 * fault in (and zero) a new huge page. A chunk goes back to the list when JS collects its buffer;
 * chunks are kept for reuse (the pool holds the peak number of live chunks).
 */
enum { KIND_CHUNK = 1, KIND_HUGE = 2, KIND_MALLOC = 3 };

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void **pool_free;
static size_t pool_count, pool_cap;

static void *map_huge(size_t bytes) {
  size_t span = bytes + CHUNK;
  char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1);
  if (start > (uintptr_t)p) munmap(p, start - (uintptr_t)p);
  size_t tail = (uintptr_t)p + span - (start + bytes);
  if (tail > 0) munmap((void *)(start + bytes), tail);
  madvise((void *)start, bytes, MADV_HUGEPAGE);
  return (void *)start;
}

static int pool_push(void *block) {
  if (pool_count == pool_cap) {
    size_t cap = pool_cap ? pool_cap * 2 : 64;
    void **grown = realloc(pool_free, cap * sizeof *grown);
    if (grown == NULL) return -1;
    pool_free = grown;
    pool_cap = cap;
  }
  pool_free[pool_count++] = block;
  return 0;
}

static void *pool_get(void) {
  void *chunk = NULL;
  pthread_mutex_lock(&pool_lock);
  if (pool_count > 0) chunk = pool_free[--pool_count];
  pthread_mutex_unlock(&pool_lock);
  return chunk != NULL ? chunk : map_huge(CHUNK);
}

static void pool_put(void *chunk) {
  pthread_mutex_lock(&pool_lock);
  int listed = pool_push(chunk) == 0;
  pthread_mutex_unlock(&pool_lock);
  if (!listed) munmap(chunk, CHUNK);
}

/* hint = bytes | kind (bytes is a multiple of 4096, so the low bits are free). */
static void free_aligned(napi_env env, void *data, void *hint) {
  uintptr_t h = (uintptr_t)hint;
  size_t bytes = h & ~(uintptr_t)(ALIGN - 1);
  (void)env;
  switch (h & (ALIGN - 1)) {
    case KIND_CHUNK: pool_put(data); break;
    case KIND_HUGE: munmap(data, bytes); break;
    default: free(data);
  }
}

static napi_value js_aligned_alloc(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t bytes;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &bytes) != napi_ok || bytes == 0 || bytes % ALIGN != 0) {
    return throw_type(env, "alignedAlloc(bytes: positive multiple of 4096)");
  }
  void *data = NULL;
  int kind = bytes == CHUNK ? KIND_CHUNK : bytes % CHUNK == 0 ? KIND_HUGE : KIND_MALLOC;
  if (kind == KIND_CHUNK) data = pool_get();
  else if (kind == KIND_HUGE) data = map_huge(bytes);
  else if (posix_memalign(&data, ALIGN, bytes) != 0) data = NULL;
  if (data == NULL) return throw_errno(env, "alignedAlloc", ENOMEM);
  /* No napi_adjust_external_memory: V8 already counts an external ArrayBuffer's bytes, and
   * reporting them twice made V8 run a full mark-compact every ~30 ms at 2 GB/s of fresh loads
   * (300+ per 8 s, tripling the reader's CPU); counted once, scavenges reclaim them (none). */
  void *hint = (void *)((uintptr_t)bytes | (uintptr_t)kind);
  if (napi_create_external_arraybuffer(env, data, bytes, free_aligned, hint, &ab) != napi_ok) {
    free_aligned(env, data, hint);
    return throw_errno(env, "alignedAlloc: external ArrayBuffer refused", ENOMEM);
  }
  return ab;
}

static napi_value js_aligned(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  int ok = argc == 1 && napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) == napi_ok &&
           type == napi_uint8_array && ((uintptr_t)data % ALIGN) == 0 && length % ALIGN == 0;
  napi_get_boolean(env, ok, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"submit", NULL, js_submit, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"alignedAlloc", NULL, js_aligned_alloc, NULL, NULL, NULL, napi_default, NULL},
      {"aligned", NULL, js_aligned, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
