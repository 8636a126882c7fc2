/*
 * One-shot AES-256-GCM opening of a sealed UTF-8 text, for the read path of encrypted columns
 * (docs/keys.md "Reading encrypted columns, and what it costs").
 *
 * Node 20's cipher API needs a stream object (Decipheriv, with a native handle) per message:
 * about 3 µs and a handful of garbage objects per cell. This addon opens the same layout as
 * src/crypto/aead.ts `seal` — 0x01 | IV (12) | ciphertext | tag (16) — in one call, through the
 * OpenSSL that Node itself links (no other library), with one reusable EVP context per
 * JavaScript environment, and hands back the plaintext as a JavaScript string. The plaintext
 * only ever exists in this call's buffers, which are wiped (OPENSSL_cleanse) before it returns.
 *
 * openText(key: Uint8Array(32), sealed: Uint8Array | string (hex), aad: Uint8Array)
 *   -> string, or undefined when the message does not authenticate (any cause: format byte,
 *      length, hex, tag, key, associated data). Wrong argument types or key length throw.
 *
 * Only opening lives here: sealing stays on node:crypto (writes are not the hot path), and the
 * two are the same standard construction, so each opens what the other seals (tested).
 */
#include <limits.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_V1 0x01
#define KEY_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define OVERHEAD (1 + IV_LEN + TAG_LEN)
/* Cells up to this size are decoded and opened in stack buffers; larger ones on the heap. */
#define STACK_BYTES 4096
/* A cell larger than this is refused (undefined), far above any column's maximum length. */
#define MAX_SEALED (64u * 1024u * 1024u)

typedef struct {
  EVP_CIPHER *cipher;
  EVP_CIPHER_CTX *ctx;
} aead_state;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_state *state = data;
  EVP_CIPHER_CTX_free(state->ctx);
  EVP_CIPHER_free(state->cipher);
  free(state);
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value failed(napi_env env) {
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

/* The bytes of a Uint8Array (a Buffer is one), or 0 when `value` isn't one. */
static int bytes_of(napi_env env, napi_value value, const unsigned char **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = raw;
  return 1;
}

static int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes `hex` (length 2n) into `out` (n bytes); 0 when a character isn't a hex digit. */
static int decode_hex(const char *hex, size_t n, unsigned char *out) {
  for (size_t i = 0; i < n; i++) {
    int high = hex_digit((unsigned char)hex[2 * i]);
    int low = hex_digit((unsigned char)hex[2 * i + 1]);
    if (high < 0 || low < 0) return 0;
    out[i] = (unsigned char)(high << 4 | low);
  }
  return 1;
}

/*
 * Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), the
 * check node:crypto's path makes with a fatal TextDecoder, so both openers refuse the same.
 */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i < len) return 0;
    for (size_t k = 1; k < len; k++) {
      unsigned d = s[i + k];
      if ((d & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += len;
  }
  return 1;
}

/*
 * AES-256-GCM open of `sealed` (length >= OVERHEAD) into `out`; 1 when it authenticates. The
 * context is reset on every path: it holds the key schedule and the hash key, which must not
 * outlive the call (the column key is zeroed in JavaScript when its handle closes).
 */
static int open_sealed(aead_state *state, const unsigned char *key, const unsigned char *sealed,
                       size_t length, const unsigned char *aad, size_t aad_length,
                       unsigned char *out) {
  const unsigned char *iv = sealed + 1;
  const unsigned char *body = sealed + 1 + IV_LEN;
  int body_length = (int)(length - OVERHEAD);
  unsigned char tag[TAG_LEN];
  memcpy(tag, sealed + length - TAG_LEN, TAG_LEN);
  int aad_written = 0, body_written = 0, final_written = 0;
  /* A fresh GCM context takes a 12-byte IV (the default; seal uses nothing else). */
  int ok = EVP_DecryptInit_ex2(state->ctx, state->cipher, key, iv, NULL) == 1 &&
           (aad_length == 0 ||
            EVP_DecryptUpdate(state->ctx, NULL, &aad_written, aad, (int)aad_length) == 1) &&
           (body_length == 0 ||
            EVP_DecryptUpdate(state->ctx, out, &body_written, body, body_length) == 1) &&
           EVP_CIPHER_CTX_ctrl(state->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) == 1 &&
           /* GCM is a stream mode: Final writes nothing, it only verifies the tag. */
           EVP_DecryptFinal_ex(state->ctx, out + body_written, &final_written) == 1;
  EVP_CIPHER_CTX_reset(state->ctx);
  /* A failed tag check leaves an entry in OpenSSL's per-thread error queue: Node's own crypto
     calls must not find it there. */
  if (!ok) ERR_clear_error();
  return ok;
}

static napi_value open_text(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  aead_state *state = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3)
    return throw_type(env, "openText(key, sealed, aad)");
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL)
    return throw_type(env, "openText: the addon is not initialised");
  const unsigned char *key = NULL, *aad = NULL;
  size_t key_length = 0, aad_length = 0;
  if (!bytes_of(env, argv[0], &key, &key_length) || key_length != KEY_LEN)
    return throw_type(env, "openText: the key must be a 32-byte Uint8Array");
  if (!bytes_of(env, argv[2], &aad, &aad_length) || aad_length > INT_MAX)
    return throw_type(env, "openText: the associated data must be a Uint8Array under 2 GiB");

  unsigned char sealed_stack[STACK_BYTES];
  unsigned char plain_stack[STACK_BYTES];
  char hex_stack[2 * STACK_BYTES + 1];
  unsigned char *decoded = NULL; /* heap copy of a large hex cell */
  char *hex_heap = NULL;
  const unsigned char *sealed = NULL;
  size_t length = 0;

  napi_valuetype type;
  if (napi_typeof(env, argv[1], &type) != napi_ok) return throw_type(env, "openText: sealed");
  if (type == napi_string) {
    size_t hex_length = 0;
    if (napi_get_value_string_latin1(env, argv[1], NULL, 0, &hex_length) != napi_ok)
      return failed(env);
    if (hex_length % 2 != 0 || hex_length / 2 < OVERHEAD || hex_length / 2 > MAX_SEALED)
      return failed(env);
    length = hex_length / 2;
    char *hex = hex_stack;
    unsigned char *target = sealed_stack;
    if (length > STACK_BYTES) {
      hex = hex_heap = malloc(hex_length + 1);
      target = decoded = malloc(length);
      if (hex_heap == NULL || decoded == NULL) {
        free(hex_heap);
        free(decoded);
        napi_throw_error(env, NULL, "openText: out of memory");
        return NULL;
      }
    }
    size_t copied = 0;
    int ok = napi_get_value_string_latin1(env, argv[1], hex, hex_length + 1, &copied) == napi_ok &&
             copied == hex_length && decode_hex(hex, length, target);
    free(hex_heap);
    if (!ok) {
      free(decoded);
      return failed(env);
    }
    sealed = target;
  } else if (!bytes_of(env, argv[1], &sealed, &length)) {
    return throw_type(env, "openText: sealed must be a Uint8Array or a hex string");
  }
  if (length < OVERHEAD || length > MAX_SEALED || sealed[0] != FORMAT_V1) {
    free(decoded);
    return failed(env);
  }

  size_t plain_length = length - OVERHEAD;
  unsigned char *plain = plain_stack;
  if (plain_length > STACK_BYTES) {
    plain = malloc(plain_length);
    if (plain == NULL) {
      free(decoded);
      napi_throw_error(env, NULL, "openText: out of memory");
      return NULL;
    }
  }
  napi_value result = NULL;
  if (open_sealed(state, key, sealed, length, aad, aad_length, plain) &&
      valid_utf8(plain, plain_length)) {
    if (napi_create_string_utf8(env, (const char *)plain, plain_length, &result) != napi_ok)
      result = NULL;
  }
  /* Unauthenticated output is wiped like the plaintext: nothing of it escapes. */
  OPENSSL_cleanse(plain, plain_length);
  if (plain != plain_stack) free(plain);
  free(decoded);
  return result == NULL ? failed(env) : result;
}

NAPI_MODULE_INIT() {
  aead_state *state = calloc(1, sizeof *state);
  if (state == NULL) return NULL;
  state->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  state->ctx = EVP_CIPHER_CTX_new();
  if (state->cipher == NULL || state->ctx == NULL ||
      napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free_state(env, state, NULL);
    napi_throw_error(env, NULL, "strongroom_aead: could not set up AES-256-GCM through OpenSSL");
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "openText", NAPI_AUTO_LENGTH, open_text, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "openText", fn) != napi_ok)
    return NULL;
  return exports;
}
