// Request counts for adu::Figures (the `adu_opwatch_requests_total{call,code}` series).
//
// CountAnswer() files one answer under its HTTP status, or `network` / `timeout` when none came
// back (a body over the size limit counts as network: nothing usable arrived); a request that we
// cancelled ourselves is not counted. CountingHttpClient does that for every request sent through
// it: the token providers get one (call `token`); the DeviceUpdateClient counts its own `get`
// and `list` calls (it alone knows which is which).
//
// Thread-safety: as the wrapped HttpClient; Figures is thread-safe.
#pragma once

#include "adu/client/http_client.h"
#include "adu/core/metrics.h"

namespace adu::client {

void CountAnswer(Figures& figures, RequestCall call, const HttpResult& result);

class CountingHttpClient final : public HttpClient {
 public:
  // Both must outlive this object.
  CountingHttpClient(HttpClient& inner, Figures& figures, RequestCall call);
  void Send(HttpRequest request, DoneCallback done) override;
  void CancelAll() override;

 private:
  HttpClient& inner_;
  Figures& figures_;
  RequestCall call_;
};

}  // namespace adu::client
