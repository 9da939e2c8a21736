/* B2 reference: the near-limit client. A minimal libcurl loop doing the daemon's requests: one
 * conditional GET per operation per round (If-None-Match with the ETag last received), one easy
 * handle reused (keep-alive), the ETag header kept in memory, the body kept in a buffer.
 *
 * usage: curl_loop BASE_URL INSTANCE SEED COUNT ROUNDS
 * The first round (unconditional) is a warm-up; the CPU time (getrusage, user+sys) of the other
 * ROUNDS rounds is printed as JSON: {"requests":..,"cpu_s":..,"ok":..,"not_modified":..}. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

struct buf {
  char* data;
  size_t len, cap;
};

static size_t on_body(char* p, size_t size, size_t n, void* u) {
  struct buf* b = u;
  size_t add = size * n;
  if (b->len + add + 1 > b->cap) {
    b->cap = (b->len + add + 1) * 2;
    b->data = realloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, p, add);
  b->len += add;
  b->data[b->len] = 0;
  return add;
}

static char current_etag[512];

static size_t on_header(char* p, size_t size, size_t n, void* u) {
  (void)u;
  size_t len = size * n;
  if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
    size_t start = 5, end = len;
    while (start < end && (p[start] == ' ' || p[start] == '\t')) ++start;
    while (end > start && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' ')) --end;
    size_t k = end - start < sizeof current_etag - 1 ? end - start : sizeof current_etag - 1;
    memcpy(current_etag, p + start, k);
    current_etag[k] = 0;
  }
  return len;
}

static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s BASE_URL INSTANCE SEED COUNT ROUNDS\n", argv[0]);
    return 2;
  }
  const char *base = argv[1], *instance = argv[2];
  unsigned seed = (unsigned)strtoul(argv[3], NULL, 0);
  int count = atoi(argv[4]), rounds = atoi(argv[5]);
  char** etags = calloc((size_t)count, sizeof *etags);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* h = curl_easy_init();
  struct buf body = {0};
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  long requests = 0, ok = 0, not_modified = 0, failed = 0;
  double cpu0 = 0;
  for (int r = 0; r <= rounds; ++r) {
    if (r == 1) {
      cpu0 = cpu_now();
      requests = ok = not_modified = 0;
    }
    for (int i = 0; i < count; ++i) {
      char url[512], inm[600];
      snprintf(url, sizeof url,
               "%s/deviceUpdate/%s/management/operations/"
               "%08x-0000-4000-8000-%012x?api-version=2022-10-01",
               base, instance, seed, (unsigned)i);
      struct curl_slist* hdrs = NULL;
      if (etags[i]) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", etags[i]);
        hdrs = curl_slist_append(hdrs, inm);
      }
      curl_easy_setopt(h, CURLOPT_URL, url);
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
      body.len = 0;
      current_etag[0] = 0;
      CURLcode rc = curl_easy_perform(h);
      long status = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      curl_slist_free_all(hdrs);
      ++requests;
      if (rc != CURLE_OK) {
        ++failed;
      } else if (status == 200) {
        ++ok;
        if (current_etag[0]) {
          free(etags[i]);
          etags[i] = strdup(current_etag);
        }
      } else if (status == 304) {
        ++not_modified;
      } else {
        ++failed;
      }
    }
  }
  double cpu = cpu_now() - cpu0;
  printf(
      "{\"requests\": %ld, \"cpu_s\": %.6f, \"ok\": %ld, \"not_modified\": %ld, \"failed\": %ld}\n",
      requests, cpu, ok, not_modified, failed);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return failed ? 1 : 0;
}
