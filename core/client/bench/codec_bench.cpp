// The operation codec's CPU cost per body (Google Benchmark): one GET body, one failed operation
// with an error chain, and list pages of 100 and 50 items (the recorded service's page size and
// the pessimistic row of B1). Build with -DADU_BUILD_CODEC_BENCH=ON in a Release tree and run
// core/client/bench/codec_bench (bench/codec.sh does both).
#include <benchmark/benchmark.h>

#include <string>

#include "adu/client/operation_codec.h"

namespace {

// The body of the recorded GET (azure-rest-api-specs, DeviceUpdate_GetOperation.json, 2022-10-01),
// compact as the service sends it; `index` makes each item of a page distinct.
std::string OperationJson(int index) {
  return R"({"operationId":"e4491c54-916f-443d-9094-bcca5460)" + std::to_string(1000 + index) +
         R"(","status":"Running","update":{"updateId":{"provider":"microsoft","name":"adu",)"
         R"("version":"1.0.0.0"},"friendlyName":"Microsoft ADU v1"},"resourceLocation":)"
         R"("/deviceUpdate/blue/updates/providers/microsoft/names/adu/versions/1.0.0.0?)"
         R"(api-version=2022-10-01","traceId":"2b881ef9deaf5d45b0a716ca5b4145ec",)"
         R"("createdDateTime":"2020-04-22T21:00:53.2548897+00:00",)"
         R"("lastActionDateTime":"2020-04-22T21:01:43.9401420+00:00",)"
         R"("etag":"\"a0f7b6f2-3f6c-4eb6-8a59-2f5411c23888\""})";
}

std::string FailedJson() {
  return R"({"operationId":"op-failed","status":"Failed","traceId":"2b881ef9deaf5d45b0a716ca5b4145ec",)"
         R"("createdDateTime":"2026-06-24T17:19:16.002276Z","lastActionDateTime":"2026-06-24T22:53:22Z",)"
         R"("etag":"\"e1\"","error":{"code":"ImportFailed","message":"Import failed.",)"
         R"("details":[{"code":"FileHashMismatch","message":"hash"}],)"
         R"("innerError":{"code":"DeviceNotFound","message":"m","innerError":{"code":"IoTHubDeviceLookupFailed"}}}})";
}

std::string PageJson(int items) {
  std::string page = R"({"value":[)";
  for (int i = 0; i < items; ++i) {
    if (i > 0) page += ',';
    page += OperationJson(i);
  }
  page +=
      R"(],"nextLink":"/deviceupdate/blue/v2/updates/operations?$top=100&$skipToken=%5B%7B%22token%22%3A%22x%22%7D%5D"})";
  return page;
}

void BM_DecodeOperation(benchmark::State& state) {
  const std::string body = OperationJson(0);
  for (auto _ : state) benchmark::DoNotOptimize(adu::client::DecodeOperation(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeOperation);

void BM_DecodeFailedOperation(benchmark::State& state) {
  const std::string body = FailedJson();
  for (auto _ : state) benchmark::DoNotOptimize(adu::client::DecodeOperation(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeFailedOperation);

void BM_DecodePage(benchmark::State& state) {
  const std::string body = PageJson(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(adu::client::DecodeOperationPage(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["per_item"] =
      benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodePage)->Arg(100)->Arg(50);

void BM_DecodeProblem404(benchmark::State& state) {
  const std::string body =
      R"({"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found",)"
      R"("status":404,"traceId":"00-3035cc9ff010b282cb4ef8d80013c3fc-1eb1f4039cccb318-01"})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        adu::client::DecodeServiceError(404, "application/problem+json; charset=utf-8", body));
  }
}
BENCHMARK(BM_DecodeProblem404);

}  // namespace

BENCHMARK_MAIN();
