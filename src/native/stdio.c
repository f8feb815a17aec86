/*
 * zg_stdio: lets the process point its stderr (fd 2) at another file for a while and back, so the
 * messages a native library writes straight to fd 2 (Dawn's `Warning: maxDynamic…` limit notices
 * and its OpenGL discovery warnings, which have no logging callback) can be read back and shown
 * at --log-level debug instead of in normal output. Node has no dup/dup2 of its own.
 *
 * JS API (src/log/stderrCapture.ts):
 *   redirectStderr(fd) -> saved   dup(2) into `saved`, then dup2(fd, 2)
 *   restoreStderr(saved)          dup2(saved, 2) and close(saved)
 * Errors are thrown with the errno text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s (errno %d)", what, strerror(err), err);
  napi_throw_error(env, NULL, text);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, int32_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) return 0;
  return napi_get_value_int32(env, argv[0], out) == napi_ok && *out >= 0;
}

static napi_value js_redirect(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "redirectStderr(fd): fd must be a file descriptor");
    return NULL;
  }
  int saved = dup(STDERR_FILENO);
  if (saved < 0) return throw_errno(env, "dup(2)", errno);
  if (dup2(fd, STDERR_FILENO) < 0) {
    int e = errno;
    close(saved);
    return throw_errno(env, "dup2(fd, 2)", e);
  }
  napi_value out;
  napi_create_int32(env, saved, &out);
  return out;
}

static napi_value js_restore(napi_env env, napi_callback_info info) {
  int32_t saved;
  if (!int_arg(env, info, &saved)) {
    napi_throw_type_error(env, NULL, "restoreStderr(saved): saved must be a file descriptor");
    return NULL;
  }
  if (dup2(saved, STDERR_FILENO) < 0) return throw_errno(env, "dup2(saved, 2)", errno);
  close(saved);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"redirectStderr", NULL, js_redirect, NULL, NULL, NULL, napi_default, NULL},
      {"restoreStderr", NULL, js_restore, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
